"""minigrad.nn: PyTorch-shaped layers and containers."""
from . import functional
from .containers import ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .layers import Dropout, Flatten, Identity, Linear, ReLU, Sigmoid, Tanh
from .module import IncompatibleKeys, Module, Parameter, StateDictError
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d

__all__ = ["Module", "Parameter", "StateDictError", "IncompatibleKeys", "Sequential", "ModuleList", "Conv2d",
           "ConvTranspose2d", "Linear", "ReLU", "Sigmoid", "Tanh", "Dropout", "Flatten", "Identity", "BatchNorm1d",
           "BatchNorm2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "functional"]
