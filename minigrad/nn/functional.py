"""`import minigrad.nn.functional as F` works like torch's; everything lives in minigrad.functional."""
from ..functional import *  # noqa: F401,F403
from ..functional import __all__  # noqa: F401
