"""dtype names (numpy's dtypes under torch's names) and torch's type-promotion rules.

minigrad tensors hold numpy arrays, so a minigrad dtype is a numpy dtype: `mg.float32 is np.float32`, and
`x.dtype == mg.float32` holds. Supported: bool, signed/unsigned integers and floats; complex is refused.
"""
import numpy as np

float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
uint8 = np.uint8
int8 = np.int8
int16 = short = np.int16
int32 = np.int32
int64 = long = np.int64
bool_ = np.bool_

DEFAULT_FLOAT = np.dtype(np.float32)
FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}   # torch's categories: bool < integer < floating


def as_dtype(dtype, op="tensor"):
    """A numpy dtype from anything numpy accepts (mg.float32, np.dtype, 'int64', float, bool...)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: {dtype!r} is not a dtype") from None
    if dt.kind not in _RANK:
        raise TypeError(f"{op}: minigrad supports bool, integer and floating dtypes, not {dt.name}")
    return dt


def category(dtype):
    """0 for bool, 1 for integers, 2 for floats."""
    return _RANK[dtype.kind]


def is_floating(dtype):
    return dtype.kind == "f"


def check_array_dtype(arr, op="tensor"):
    """Refuse what torch refuses to build a real tensor from (complex numbers, strings, objects)."""
    if arr.dtype.kind not in _RANK:
        what = "complex numbers" if arr.dtype.kind == "c" else f"dtype {arr.dtype}"
        raise TypeError(f"{op}: minigrad tensors hold bool, integer or floating values, not {what}")
    return arr


def promote(a, b):
    """torch.promote_types for two tensors: the higher category wins, within a category numpy's rule."""
    if a == b:
        return a
    ra, rb = _RANK[a.kind], _RANK[b.kind]
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


def result_type(a_dtype, a_ndim, b_dtype, b_ndim):
    """torch.result_type for two tensors: a 0-d tensor only decides the dtype when its category is higher
    than the dimensioned tensor's (so float32 weights times a float64 0-d tensor stay float32)."""
    if a_dtype == b_dtype:
        return a_dtype
    if (a_ndim == 0) != (b_ndim == 0):
        dim_dt, zero_dt = (b_dtype, a_dtype) if a_ndim == 0 else (a_dtype, b_dtype)
        if _RANK[zero_dt.kind] <= _RANK[dim_dt.kind]:
            return dim_dt
    return promote(a_dtype, b_dtype)


def scalar_result_type(dtype, value):
    """A tensor of `dtype` combined with a Python (or numpy) scalar: the tensor's dtype unless the scalar is
    of a higher category (int tensor * 0.5 -> float32, bool tensor + 1 -> int64)."""
    if isinstance(value, (bool, np.bool_)):
        rank, dt = 0, np.dtype(np.bool_)
    elif isinstance(value, (int, np.integer)):
        rank, dt = 1, np.dtype(np.int64)
    elif isinstance(value, (float, np.floating)):
        rank, dt = 2, DEFAULT_FLOAT
    else:
        raise TypeError(f"unsupported operand of type {type(value).__name__}")
    return dtype if _RANK[dtype.kind] >= rank else dt


def infer_array(data):
    """torch.tensor's inference: ndarrays keep their dtype, Python floats become float32, ints int64."""
    if isinstance(data, (np.ndarray, np.generic)):
        return check_array_dtype(np.array(data))
    try:
        arr = check_array_dtype(np.array(data))
    except ValueError:
        raise ValueError("tensor: expected a rectangular nested sequence of numbers (every row the same length)") \
            from None
    if arr.dtype == np.float64:
        arr = arr.astype(DEFAULT_FLOAT)
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    return arr
