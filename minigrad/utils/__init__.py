"""minigrad.utils: torch.utils's namespaces (data)."""
from . import data

__all__ = ["data"]
