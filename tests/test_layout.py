"""digitsum's layout rules (docs/ARCHITECTURE.md): dependencies run one way, commands -> engine -> models ->
data -> base -> minigrad; no library module imports a command; files stay under 400 lines; digitsum uses
minigrad's public API only; every command answers --help; the wheel ships the pretrained reader.

`python tests/test_layout.py` prints the import graph the architecture guide draws, from the code.
"""
import ast
import collections
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("digitsum.train", "digitsum.evaluate", "digitsum.predict", "digitsum.weights", "digitsum.robustness",
            "digitsum.data.__main__", "digitsum.data.picture_bench")
LAYERS = ("base", "data", "models", "engine", "commands")  # a module imports only its own layer or lower ones


def module_name(path, root=ROOT):
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package):
    return {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}


def imports(path, known):
    """The modules of `known` that the file at `path` imports (`from a import b` counts a.b when it is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names]
            found |= {n for n in names if n in known} or ({node.module} & set(known))
        elif isinstance(node, ast.ImportFrom) and node.level:  # relative import inside a package
            base = module_name(path).split(".")
            base = base[:len(base) - node.level + (path.name == "__init__.py")]
            stem = ".".join(base + ([node.module] if node.module else []))
            names = [f"{stem}.{a.name}" for a in node.names]
            found |= {n for n in names if n in known} or ({stem} & set(known))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
    return found


def layer(name):
    if name in COMMANDS or name == "digitsum":  # the package's __init__ is an entry point too: digitsum.read
        return "commands"
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ("data", "models", "engine") else "base"


def unit(name):
    """minigrad's top-level module or package a module belongs to (minigrad.ops.shape -> ops)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "minigrad"


def dependency_picture():
    """The text picture of docs/ARCHITECTURE.md: digitsum's layers and minigrad's modules, each with what it imports."""
    ds, mg = modules("digitsum"), modules("minigrad")
    lines = ["digitsum: layer -> the layers and minigrad modules it imports"]
    uses = collections.defaultdict(set)
    for name, path in ds.items():
        uses[layer(name)] |= {layer(m) for m in imports(path, ds)} | {f"minigrad.{unit(m)}" for m in imports(path, mg)}
    for lay in reversed(LAYERS):
        inside = sorted(uses[lay] - {lay, "minigrad.minigrad"}, key=lambda u: (u.startswith("minigrad"), -LAYERS.index(u) if u in LAYERS else 0, u))
        lines.append(f"  {lay:8s} -> {', '.join(inside) or '-'}")
    lines.append("minigrad: module -> the minigrad modules it imports")
    units = collections.defaultdict(set)
    for name, path in mg.items():
        units[unit(name)] |= {unit(m) for m in imports(path, mg)}
    width = max(map(len, units))
    for u in sorted(units):
        lines.append(f"  {u:{width}s} -> {', '.join(sorted(units[u] - {u, 'minigrad'})) or '-'}")
    return "\n".join(lines)


def test_dependencies_run_one_way_and_no_library_module_imports_a_command():
    ds = modules("digitsum")
    wrong = []
    for name, path in ds.items():
        for target in imports(path, ds):
            if LAYERS.index(layer(target)) > LAYERS.index(layer(name)):
                wrong.append(f"{name} ({layer(name)}) imports {target} ({layer(target)})")
    assert not wrong, "dependencies must run commands -> engine -> models -> data -> base:\n" + "\n".join(wrong)
    assert set(COMMANDS) <= set(ds)


def test_digitsum_uses_only_minigrad_public_api():
    mg = modules("minigrad")
    private = []
    for name, path in modules("digitsum").items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minigrad"):
                names = [node.module] + [a.name for a in node.names]
                if "minigrad.kernels" in node.module or any(n.split(".")[-1].startswith("_") for n in names):
                    private.append(f"{name}: from {node.module} import {', '.join(a.name for a in node.names)}")
    assert not private, "\n".join(private)
    assert "minigrad.kernels" in mg  # the rule above looks for a module that exists


def test_no_digitsum_file_exceeds_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "digitsum").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long


@pytest.mark.parametrize("argv", [["digitsum.train"], ["digitsum.evaluate"], ["digitsum.predict"],
                                  ["digitsum.weights"], ["digitsum.robustness"], ["digitsum.data"], ["digitsum.data", "fetch"],
                                  ["digitsum.data", "make"], ["digitsum.data", "check"], ["digitsum.data", "show"],
                                  ["digitsum.data.picture_bench"], ["digitsum.data.picture_bench", "make"],
                                  ["digitsum.data.picture_bench", "score"]])
def test_every_command_answers_help(argv):
    done = subprocess.run([sys.executable, "-m", *argv, "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith(f"usage: python -m {' '.join(argv)}")


def test_the_wheel_ships_the_pretrained_reader_and_every_package(tmp_path):
    """Built from a copy of the tracked files, as a release would be; an editable install would not notice
    package_data missing."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    src = tmp_path / "src"
    for rel in tracked.decode().split("\0"):
        if rel and (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert z.read("digitsum/pretrained/digits.npz") == (ROOT / "digitsum/pretrained/digits.npz").read_bytes()
    for package in ("digitsum", "minigrad"):
        missing = {str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py")} - names
        assert not missing, f"the wheel lacks {sorted(missing)}"


if __name__ == "__main__":
    print(dependency_picture())
