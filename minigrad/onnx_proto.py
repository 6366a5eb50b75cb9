"""A minimal reader of ONNX model files: graph nodes and constant tensors, straight from the protobuf bytes.

Why not the `onnx` package: the default VGG16 weights ship as an ONNX file, and converting them must work
with minigrad's runtime dependencies alone (numpy, numba, matplotlib, tqdm). Reading the nodes and the
initializers needs only protobuf's wire format (varints and length-delimited fields), which is small and
stable. tests/test_convert.py checks this reader against `onnx.load` on the real file.

Field numbers come from onnx/onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto).
"""
from collections import namedtuple

import numpy as np

Node = namedtuple("Node", "op_type name inputs outputs attrs")

# TensorProto.DataType codes -> little-endian numpy dtypes (the ones weights come in).
_DTYPES = {1: "<f4", 2: "u1", 3: "i1", 5: "<i2", 6: "<i4", 7: "<i8", 9: "u1", 10: "<f2", 11: "<f8"}
_PACKED_FIELDS = {4: "<f4", 10: "<f8"}  # float_data, double_data (packed little-endian)


class OnnxFormatError(ValueError):
    """The bytes are not an ONNX model this reader understands (truncated, foreign, external data)."""


def _varint(buf, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(buf):
            raise OnnxFormatError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise OnnxFormatError("malformed varint")


def _fields(buf):
    """Yield (field_number, wire_type, value) of one message; value is an int or a memoryview slice."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise OnnxFormatError(f"unsupported protobuf wire type {wire}")
        if pos > end or field == 0:
            raise OnnxFormatError("truncated or malformed message")
        yield field, wire, value


def _ints(wire, value):
    """A repeated int64 field occurrence, packed (wire 2) or not (wire 0); negative values are two's complement."""
    if wire == 0:
        raw = [value]
    else:
        raw, pos = [], 0
        while pos < len(value):
            v, pos = _varint(value, pos)
            raw.append(v)
    return [v - (1 << 64) if v >= 1 << 63 else v for v in raw]


def _text(value):
    return bytes(value).decode("utf-8")


def _tensor(buf):
    """TensorProto -> (name, ndarray)."""
    dims, dtype_code, name, raw, parts = [], None, "", None, []
    for field, wire, value in _fields(buf):
        if field == 1:
            dims += _ints(wire, value)
        elif field == 2:
            dtype_code = value
        elif field == 8:
            name = _text(value)
        elif field == 9:
            raw = value
        elif field in _PACKED_FIELDS:
            parts.append(np.frombuffer(value, dtype=_PACKED_FIELDS[field]))
        elif field in (5, 7):  # int32_data / int64_data: varints
            parts.append(np.array(_ints(wire, value), dtype=np.int64))
        elif field == 14 and value == 1:
            raise OnnxFormatError(f"tensor {name or '?'} keeps its data in an external file (not supported)")
    if dtype_code not in _DTYPES:
        raise OnnxFormatError(f"tensor {name or '?'} has unsupported data type {dtype_code}")
    if raw is not None:
        array = np.frombuffer(raw, dtype=_DTYPES[dtype_code])
    elif parts:
        array = np.concatenate(parts).astype(_DTYPES[dtype_code])
    else:
        array = np.zeros(0, dtype=_DTYPES[dtype_code])
    count = int(np.prod(dims)) if dims else 1
    if array.size != count:
        raise OnnxFormatError(f"tensor {name or '?'} holds {array.size} values for shape {tuple(dims)}")
    return name, array.reshape(dims).copy()


def _attribute(buf):
    """AttributeProto -> (name, value) for the kinds a Conv/MaxPool carries (int, ints, float, string, tensor)."""
    name, value, ints = "", None, []
    for field, wire, v in _fields(buf):
        if field == 1:
            name = _text(v)
        elif field == 2:
            value = float(np.frombuffer(v, dtype="<f4")[0])
        elif field == 3:
            value = _ints(0, v)[0]
        elif field == 4:
            value = _text(v)
        elif field == 5:
            value = _tensor(v)[1]
        elif field == 8:
            ints += _ints(wire, v)
    return name, (ints if value is None and ints else value)


def _node(buf):
    op_type, name, inputs, outputs, attrs = "", "", [], [], {}
    for field, _, value in _fields(buf):
        if field == 1:
            inputs.append(_text(value))
        elif field == 2:
            outputs.append(_text(value))
        elif field == 3:
            name = _text(value)
        elif field == 4:
            op_type = _text(value)
        elif field == 5:
            key, val = _attribute(value)
            attrs[key] = val
    return Node(op_type, name, inputs, outputs, attrs)


def read_graph(path):
    """Read an ONNX file -> (nodes in graph order, {name: ndarray} of initializers and Constant node outputs)."""
    with open(path, "rb") as f:
        buf = memoryview(f.read())
    graph = None
    try:
        for field, wire, value in _fields(buf):
            if field == 7 and wire == 2:
                graph = value
    except OnnxFormatError as e:
        raise OnnxFormatError(f"{path} is not a readable ONNX model ({e})") from None
    if graph is None:
        raise OnnxFormatError(f"{path} is not an ONNX model (no graph)")
    nodes, constants = [], {}
    for field, _, value in _fields(graph):
        if field == 1:
            node = _node(value)
            nodes.append(node)
            if node.op_type == "Constant" and isinstance(node.attrs.get("value"), np.ndarray):
                constants[node.outputs[0]] = node.attrs["value"]
        elif field == 5:
            name, array = _tensor(value)
            constants[name] = array
    return nodes, constants
