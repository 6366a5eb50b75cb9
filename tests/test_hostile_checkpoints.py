"""digitsum checkpoints with wrong types or non-finite weights: one UserError naming the problem."""
import numpy as np
import pytest

import minigrad
from digitsum.models import checkpoints as checkpoint
from digitsum.cli import UserError


def crafted(tmp_path, **changes):
    obj = {"format": checkpoint.FORMAT, "format_version": checkpoint.FORMAT_VERSION, "model": "regressor",
           "model_config": {}, "state_dict": {"fc.weight": np.ones((2, 3), np.float32), "fc.bias": np.zeros(2)}}
    obj.update(changes)
    path = tmp_path / "ck.npz"
    minigrad.save(obj, path)
    return path


@pytest.mark.parametrize("changes, message", [
    ({"model": ["regressor"]}, "'model' is a list, not a str"),
    ({"model_config": [1, 2]}, "'model_config' is a list, not a dict"),
    ({"state_dict": "weights"}, "'state_dict' is a str, not a dict"),
    ({"state_dict": {"fc.weight": [1.0, 2.0], "fc.bias": np.zeros(2)}}, "holds non-arrays at fc.weight"),
    ({"state_dict": {"fc.weight": np.array([[1.0, np.nan]], np.float32), "fc.bias": np.array([np.inf])}},
     "weights hold NaN or inf in fc.weight, fc.bias; refusing"),
])
def test_wrong_types_and_nonfinite_weights_are_refused(tmp_path, changes, message):
    with pytest.raises(UserError, match=message) as info:
        checkpoint.load(crafted(tmp_path, **changes))
    assert "\n" not in str(info.value)


def test_a_well_formed_checkpoint_loads(tmp_path):
    assert checkpoint.load(crafted(tmp_path))["model"] == "regressor"
