"""The models `python -m digitsum.train --model NAME` can train, as a registry of ModelSpec.

How to add a model (one import-free line):
    1. Write a module (e.g. digitsum/vgg.py) that defines `SPEC = ModelSpec(name="vgg", build=..., loss=...,
       predict=..., model_config={...}, train_defaults={...})`, importing ModelSpec from here.
    2. Add one line to REGISTRY below: `"vgg": "digitsum.vgg:SPEC",`. Entries given as "module:attr" strings
       are imported on first use, so there is no import cycle and no start-up cost for unused models.
train.py, evaluate.py and predict.py are generic over ModelSpec; they never test a model's name.

Contract of a spec (all arrays are numpy; `output` is the model's forward output):
    build(model_config) -> nn.Module                 fresh, PyTorch-default-initialised model
    loss(output: Tensor, sums: int64 ndarray) -> 0-d Tensor, the training objective (mean over batch)
    predict(output: ndarray) -> int64 ndarray of sums in 0..max_sum
    model_config: dict, JSON-able; stored in every checkpoint, so build(model_config) rebuilds the model
    train_defaults: dict of training hyper-parameters (see DEFAULT_TRAINING) that differ per model
    encode_dataset(x_uint8 (N,40,168), model_config) -> array   once per split (default: identity; a frozen
        feature extractor could cache its features here)
    encode_batch(batch, model_config) -> float32 model input    per batch (default: normalize to (B,1,40,168))
    init_from(model, path) -> str                   optional: load external weights (`--init-from`), say what
    init_from_config: dict                          model_config overrides used with --init-from (e.g. the
                                                    standard stem, so ImageNet weights fit)
    readout(output) -> list[str]                    optional: a human-readable reading per image (predict)
    epoch_order(sums, epoch, rng) -> int array      optional: the indices one training epoch visits, in
                                                    order (default rng.permutation; e.g. a curriculum)
    read_digits(output) -> list[list[int]]         optional: the digits read per image (evaluate --digit-labels)
    augment(batch, rng) -> batch                   optional: training-time augmentation of an encoded batch
    max_sum: int                                   the largest sum predict returns (default 36; a model that
                                                   counts the digits itself reads more, e.g. 54)

Defaults, written down:
- Input: pixels /255, then standardised with the training composites' mean/std (digitsum.datasets.normalize).
- Init: PyTorch's defaults (kaiming-uniform a=sqrt(5) for conv/linear weights). The regressor's last bias
  starts at 18, the mean sum, so training starts from the mean predictor instead of 0 (MSE ~34, not ~360).
  The ResNet uses torchvision's init (kaiming-normal, fan_out) and BatchNorm 1/0.
- Optimiser: Adam lr 1e-3 (AdamW wd 1e-4 for the ResNet), cosine-annealed per step to 0 over the run after
  a short linear warm-up (3% of the steps, WarmupCosineLR), batch 64.
- Epochs: 3, so the main command (`python -m digitsum.train --model regressor`: MNIST fetch, generation,
  training, testing) fits in 10 minutes on 2 cores; the reports' protocol is `--epochs 15 --seeds 0 10 42`.
  The ResNet-18 costs ~30x the reference CNN per image (~8-13 images/s on 2 cores), so it defaults to 1.
- Validation: 10% of the training folder, split with a fixed seed (0) so runs with different --seed share it.
  The test metrics are those of the best-validation epoch's weights (best.npz).
"""
from dataclasses import dataclass, field
from importlib import import_module
from typing import Callable, Optional

import numpy as np

import minigrad
import minigrad.functional as F
from minigrad import nn

from digitsum.cli import UserError
from digitsum.metrics import NUM_SUMS

H, W = 40, 168  # course image size
SUM_MEAN = 18.0  # mean of four uniform-ish digits

# Training hyper-parameters every model gets unless its train_defaults override them.
DEFAULT_TRAINING = {
    "epochs": 3,  # fits the 10-minute budget of the main command on 2 cores (see README)
    "batch_size": 64,
    "lr": 1e-3,
    "optimizer": "adam",  # adam | adamw | sgd
    "weight_decay": 0.0,
    "momentum": 0.9,  # sgd only
    "schedule": "warmup_cosine",  # warmup_cosine | cosine | constant
    "warmup_fraction": 0.03,  # of all steps
    "val_fraction": 0.1,
    "split_seed": 0,
}


def _identity(x, model_config):
    return x


def _normalize_batch(x, model_config):
    from digitsum.datasets import normalize
    return normalize(x)


@dataclass
class ModelSpec:
    name: str
    build: Callable
    loss: Callable
    predict: Callable
    model_config: dict = field(default_factory=dict)
    train_defaults: dict = field(default_factory=dict)
    description: str = ""
    encode_dataset: Callable = _identity
    encode_batch: Callable = _normalize_batch
    init_from: Optional[Callable] = None
    init_from_config: dict = field(default_factory=dict)
    readout: Optional[Callable] = None
    epoch_order: Optional[Callable] = None
    read_digits: Optional[Callable] = None
    augment: Optional[Callable] = None
    max_sum: int = NUM_SUMS - 1     # the largest sum predict can return (labels up to it are accepted)

    def training_config(self):
        """DEFAULT_TRAINING overridden by this model's train_defaults."""
        return {**DEFAULT_TRAINING, **self.train_defaults}


# ---------------------------------------------------------------- reference CNN (first report)
def cnn_trunk(channels=(32, 64, 128), hidden=256):
    """conv3x3-ReLU-maxpool2 three times, then flatten -> linear(hidden) -> ReLU: the report's trunk."""
    layers, cin = [], 1
    for c in channels:
        layers += [nn.Conv2d(cin, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        cin = c
    h, w = H // 2 ** len(channels), W // 2 ** len(channels)
    layers += [nn.Flatten(), nn.Linear(cin * h * w, hidden), nn.ReLU()]
    return layers


def build_regressor(cfg):
    layers = cnn_trunk(tuple(cfg["channels"]), cfg["hidden"]) + [nn.Linear(cfg["hidden"], 1)]
    model = nn.Sequential(*layers)
    layers[-1].bias.data[...] = SUM_MEAN  # start at the mean predictor (see module docstring)
    return model


def regression_loss(output, sums):
    target = minigrad.Tensor(np.asarray(sums, output.dtype).reshape(-1, 1))
    return F.mse_loss(output, target)


def regression_predict(output):
    return np.clip(np.rint(np.asarray(output, np.float64).reshape(-1)), 0, NUM_SUMS - 1).astype(np.int64)


def build_classifier(cfg):
    return nn.Sequential(*cnn_trunk(tuple(cfg["channels"]), cfg["hidden"]), nn.Linear(cfg["hidden"], NUM_SUMS))


def classification_loss(output, sums):
    return F.cross_entropy(output, np.asarray(sums, np.int64))


def classification_predict(output):
    return np.asarray(output).argmax(axis=1).astype(np.int64)


CNN_CONFIG = {"channels": [32, 64, 128], "hidden": 256}

REGRESSOR = ModelSpec(
    name="regressor", build=build_regressor, loss=regression_loss, predict=regression_predict,
    model_config=dict(CNN_CONFIG),
    description="reference CNN, one output, MSE; prediction rounded and clipped to 0-36")

CLASSIFIER = ModelSpec(
    name="classifier", build=build_classifier, loss=classification_loss, predict=classification_predict,
    model_config=dict(CNN_CONFIG),
    description="reference CNN trunk, 37 logits, cross-entropy")


# ---------------------------------------------------------------- ResNet (second report)
def build_resnet(cfg):
    from minigrad.models import resnet18
    return resnet18(num_classes=NUM_SUMS, in_channels=1, small_stem=cfg["small_stem"])


def resnet_init_from(model, path):
    """Load a converted torchvision resnet18 .npz (python -m minigrad.convert torch STATE.pth OUT.npz).

    conv1 is summed over RGB to our 1 input channel (exact for a grey image repeated to RGB); the 1000-class
    `fc` cannot fit 37 sums and keeps its fresh init. Used with the standard 7x7 stem (init_from_config).
    """
    from minigrad.models.resnet import load_resnet18_weights
    from minigrad.models.weights import WeightsError
    try:
        kept = load_resnet18_weights(model, path, keep_head_on_mismatch=True)
    except WeightsError as e:
        raise UserError(f"--init-from: {e}") from None
    return f"initialised from {path}; kept fresh: {', '.join(kept) or 'nothing'}"


RESNET = ModelSpec(
    name="resnet", build=build_resnet, loss=classification_loss, predict=classification_predict,
    model_config={"small_stem": True},
    train_defaults={"epochs": 1, "optimizer": "adamw", "weight_decay": 1e-4},
    init_from=resnet_init_from, init_from_config={"small_stem": False},
    description="ResNet-18 (basic blocks, BatchNorm), 1-channel stem for 40x168, 37 logits")


# ---------------------------------------------------------------- the registry
# name -> ModelSpec, or "module:attr" imported on first use. Add new models here (one line each).
REGISTRY = {
    "regressor": REGRESSOR,
    "classifier": CLASSIFIER,
    "resnet": RESNET,
    "vgg": "digitsum.vgg_transfer:SPEC",
    "digits": "digitsum.digit_reader:SPEC",
}


def names():
    return list(REGISTRY)


def get(name):
    """The ModelSpec registered as `name`; UserError naming the choices otherwise."""
    entry = REGISTRY.get(name)
    if entry is None:
        raise UserError(f"unknown model {name!r}; choose from {', '.join(REGISTRY)}")
    if isinstance(entry, str):
        module, attr = entry.split(":")
        entry = REGISTRY[name] = getattr(import_module(module), attr)
    return entry
