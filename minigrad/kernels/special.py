"""Special functions NumPy lacks, as Numba ufuncs compiled for float32 and float64 (libm's erf/erff)."""
import math

from numba import vectorize


@vectorize(["float32(float32)", "float64(float64)"], cache=True)
def erf(x):
    return math.erf(x)
