"""VGG16's convolutional base (torchvision's `vgg16().features`): 13 3x3 convolutions with ReLU, 5 max-pools.

Layer indices and state_dict keys match torchvision exactly (`0.weight`, `2.weight`, ..., `28.bias`), so a
torchvision `features.N.*` entry maps to `N.*` here. forward: (N, 3, H, W) -> the last pool's output,
(N, 512, H // 32, W // 32) for H, W multiples of 32 (torch's floor rule otherwise).
"""
import numpy as np

from .. import nn
from .weights import check_architecture, fit_state_dict, read_weights

# Output channels per conv, "M" = 2x2/stride-2 max-pool: torchvision's configuration "D".
VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def _conv_indices(config):
    """Sequential index of each conv: a conv takes one slot + its ReLU another, a pool one slot."""
    indices, position = [], 0
    for item in config:
        if item == "M":
            position += 1
        else:
            indices.append(position)
            position += 2
    return tuple(indices)


VGG16_CONV_INDICES = _conv_indices(VGG16_CONFIG)  # (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


class VGG16Features(nn.Sequential):
    """The VGG16 conv base. `input_mean`/`input_std` (per RGB channel, for [0, 1] input) are the
    normalisation the loaded weights expect, taken from the weights' manifest (identity when unknown)."""

    def __init__(self):
        layers, in_channels = [], 3
        for item in VGG16_CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(in_channels, item, 3, padding=1), nn.ReLU()]
                in_channels = item
        super().__init__(*layers)
        self.input_mean = np.zeros(3, dtype=np.float32)
        self.input_std = np.ones(3, dtype=np.float32)
        self.weights_manifest = None


def vgg16_features(weights=None):
    """Build the VGG16 conv base; `weights`: path to a converted .npz (see minigrad.convert), else PyTorch's
    default random init. Every array's name and shape is checked; a mismatch raises WeightsError."""
    model = VGG16Features()
    if weights is not None:
        arrays, manifest = read_weights(weights)
        check_architecture(manifest, "vgg16_features", str(weights))
        if any(k.startswith("features.") for k in arrays):  # accept a torchvision-style key prefix too
            arrays = {k[len("features."):]: v for k, v in arrays.items() if k.startswith("features.")}
        model.load_state_dict(fit_state_dict(model, arrays, "VGG16 features", str(weights)))
        if manifest and "input" in manifest:
            model.input_mean = np.asarray(manifest["input"]["mean"], dtype=np.float32)
            model.input_std = np.asarray(manifest["input"]["std"], dtype=np.float32)
        model.weights_manifest = manifest
    return model
