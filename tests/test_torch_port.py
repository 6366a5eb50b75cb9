"""examples/torch_port.py runs unchanged on torch and, with its import line swapped, on minigrad: from the same
initial weights (handed over through state_dict) every training loss agrees to 1e-4."""
import types
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(1)        # tiny models: threads only add contention on a shared machine

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "torch_port.py"
IMPORT_LINE = "import torch  # the only line to change: `import minigrad as torch`"


def load(library):
    """The script as a module, with its one import line pointing at `library`."""
    source = SCRIPT.read_text()
    assert source.count(IMPORT_LINE) == 1
    if library == "minigrad":
        source = source.replace(IMPORT_LINE, "import minigrad as torch")
    module = types.ModuleType(f"torch_port_{library}")
    exec(compile(source, str(SCRIPT), "exec"), module.__dict__)
    return module


def test_torch_port_runs_on_both_libraries_and_agrees():
    theirs = load("torch").main()
    ours = load("minigrad").main({name: r["initial_state"] for name, r in theirs.items()})
    for name in ("mlp", "cnn"):
        t, m = theirs[name], ours[name]
        assert list(m["initial_state"]) == list(t["initial_state"])
        for k in t["initial_state"]:
            np.testing.assert_array_equal(m["initial_state"][k], t["initial_state"][k])
        assert len(m["losses"]) == len(t["losses"]) == 30
        np.testing.assert_allclose(m["losses"], t["losses"], rtol=0, atol=1e-4, err_msg=name)
        np.testing.assert_allclose(m["grad_norms"], t["grad_norms"], rtol=1e-4, err_msg=name)
        assert m["losses"][-1] < 0.5 * m["losses"][0]          # it learns
        assert abs(m["accuracy"] - t["accuracy"]) < 1e-6
