"""The reference CNN, as a sum regressor (`--model regressor`) and as a 37-way sum classifier (`classifier`).

Both share the trunk conv3x3-ReLU-maxpool2 three times (32, 64, 128 channels), then flatten -> linear(256)
-> ReLU. The regressor ends in one output trained with MSE (prediction rounded and clipped to 0-36); the
classifier ends in 37 logits trained with cross-entropy.
"""
import numpy as np

import minigrad
import minigrad.functional as F
from minigrad import nn

from digitsum.data.shapes import H, NUM_SUMS, W
from digitsum.models.spec import ModelSpec

SUM_MEAN = 18.0  # mean of four uniform-ish digits
CNN_CONFIG = {"channels": [32, 64, 128], "hidden": 256}


def cnn_trunk(channels=(32, 64, 128), hidden=256):
    """conv3x3-ReLU-maxpool2 per entry of `channels`, then flatten -> linear(hidden) -> ReLU, as layers."""
    layers, cin = [], 1
    for c in channels:
        layers += [nn.Conv2d(cin, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        cin = c
    h, w = H // 2 ** len(channels), W // 2 ** len(channels)
    layers += [nn.Flatten(), nn.Linear(cin * h * w, hidden), nn.ReLU()]
    return layers


def regression_loss(output, sums):
    target = minigrad.Tensor(np.asarray(sums, output.dtype).reshape(-1, 1))
    return F.mse_loss(output, target)


def regression_predict(output):
    return np.clip(np.rint(np.asarray(output, np.float64).reshape(-1)), 0, NUM_SUMS - 1).astype(np.int64)


def classification_loss(output, sums):
    return F.cross_entropy(output, np.asarray(sums, np.int64))


def classification_predict(output):
    return np.asarray(output).argmax(axis=1).astype(np.int64)


class SumRegressor(ModelSpec):
    """A model with one output, the sum itself: MSE loss; prediction rounded and clipped to 0-36."""

    def loss(self, output, sums):
        return regression_loss(output, sums)

    def predict(self, output):
        return regression_predict(output)


class SumClassifier(ModelSpec):
    """A model with 37 logits, one per sum: cross-entropy loss; prediction the argmax."""

    def loss(self, output, sums):
        return classification_loss(output, sums)

    def predict(self, output):
        return classification_predict(output)


def build_regressor(cfg):
    layers = cnn_trunk(tuple(cfg["channels"]), cfg["hidden"]) + [nn.Linear(cfg["hidden"], 1)]
    model = nn.Sequential(*layers)
    layers[-1].bias.data[...] = SUM_MEAN  # start at the mean predictor (see digitsum.models.spec)
    return model


def build_classifier(cfg):
    return nn.Sequential(*cnn_trunk(tuple(cfg["channels"]), cfg["hidden"]), nn.Linear(cfg["hidden"], NUM_SUMS))


class Regressor(SumRegressor):
    name = "regressor"
    description = "reference CNN, one output, MSE; prediction rounded and clipped to 0-36"
    model_config = dict(CNN_CONFIG)
    build = staticmethod(build_regressor)


class Classifier(SumClassifier):
    name = "classifier"
    description = "reference CNN trunk, 37 logits, cross-entropy"
    model_config = dict(CNN_CONFIG)
    build = staticmethod(build_classifier)


REGRESSOR = Regressor()
CLASSIFIER = Classifier()
