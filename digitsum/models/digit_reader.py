"""`--model digits`: read the digits column by column and learn from sum labels alone.

The network maps a 40x168 image to T = 42 columns (one per 4 pixels) and gives each column a distribution
over 11 symbols: blank and the digits 0-9 (a CTC-style reading). digitsum.models.sum_dp marginalises over every
placement of the digits and returns the exact P(count = k, sum = s); the training loss is
-log P(sum = label, count = 4), so the only supervision is the sum. Nothing here reads the generator's digit
labels or boxes: evaluate --digit-labels uses them only to report digit accuracy.

Architecture (all minigrad.nn; default config ~0.74 M parameters):
    conv 4x4 stride 2 (1 -> 32), BN, ReLU         20 x 84   cheap first layer: stride instead of a pool
    conv 3x3 (32 -> 64), BN, ReLU, maxpool 2       10 x 42
    conv 3x3 (64 -> 96), BN, ReLU                  10 x 42
    conv (10 x 3) (96 -> 192), BN, ReLU             1 x 42   full height: one feature vector per column
    conv (1 x 3) (192 -> 192), BN, ReLU             1 x 42   each column sees its neighbours ("context")
    dropout 0.1, conv 1x1 (192 -> 11), log-softmax over symbols  -> output (N, 42, 11) log-probabilities
A column sees ~34 px (~42 px after the context conv), more than a digit. The head's blank bias starts
at +3 so that, at initialisation, most columns read blank and P(count = 4) is not astronomically small.

Prediction: argmax over s of P(sum = s) marginalised over every count 0..6 (the model counts the
digits itself, so the same checkpoint reads 3- or 5-digit images). With "shift_average": k in the config,
P(sum) is averaged over the image moved 0..k-1 px sideways (into its empty margin): each column covers
4 px, so a digit's reading depends a little on where it falls against that grid, and averaging over the
grid's phases removes that dependence. Reading out: the most probable single reading whose digits add up
to the predicted sum (digitsum.models.sum_decode), shown as e.g. "7 2 5 1 -> 15" (digitsum.engine.inference).
"""
import numpy as np

import minigrad
import minigrad.functional as F
from minigrad import nn

from digitsum.cli import UserError
from digitsum.data import augment as augmentation
from digitsum.data.shapes import H
from digitsum.models import checkpoints
from digitsum.models.ink_height import normalise_heights
from digitsum.models.spec import ModelSpec
from digitsum.models.sum_decode import constrained_digits
from digitsum.models.sum_dp import N_SYMBOLS, sum_nll, sum_probabilities

BLANK_BIAS = 3.0
CURRICULUM_FRACTION = 0.5   # of the first epoch (see epoch_order)
CURRICULUM_SPREAD = 8       # |sum - mean sum| of the images that curriculum shows first
SHIFT_X, SHIFT_Y = 6, 3   # training-time shift augmentation, px (see augment)
MAX_READ_DIGITS = 6   # prediction marginalises over counts 0..6 (sums 0..54)
# The digit counts the training loss allows: the generator's, a property of the training set (never a label
# of an image). Four, as the course: fine-tuning on 3-5-digit rows with counts 3..5 let the reader insert
# spurious digits (exact sums on 4-digit course rows fell from 97.5% to ~90% in three epochs).
TRAIN_COUNTS = (4,)


class DigitReader(nn.Module):
    """channels: (c0, c1, extra 3x3 convs at 10 x 42 ...); context: width of a column conv mixing neighbouring
    columns' features before the head (0: none); dropout: on the column features, training only."""

    def __init__(self, channels=(32, 64, 96), hidden=192, context=3, dropout=0.1):
        super().__init__()
        c0, c1, *rest = channels
        layers = [nn.Conv2d(1, c0, 4, stride=2, padding=1), nn.BatchNorm2d(c0), nn.ReLU(),
                  nn.Conv2d(c0, c1, 3, padding=1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2)]
        for cin, cout in zip([c1] + rest, rest):
            layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
        layers += [nn.Conv2d(rest[-1] if rest else c1, hidden, (H // 4, 3), padding=(0, 1)),
                   nn.BatchNorm2d(hidden), nn.ReLU()]
        if context:
            layers += [nn.Conv2d(hidden, hidden, (1, context), padding=(0, context // 2)),
                       nn.BatchNorm2d(hidden), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Conv2d(hidden, N_SYMBOLS, 1)
        self.head.bias.data[0] += BLANK_BIAS

    def forward(self, x):
        h = self.head(self.dropout(self.features(x)))        # (N, 11, 1, T)
        n, c, _, t = h.shape
        return F.log_softmax(h.reshape(n, c, t).transpose(0, 2, 1), axis=-1)   # (N, T, 11)


def build(cfg):
    # context/dropout arrived after the first shipped checkpoint, whose config lacks them
    return DigitReader(tuple(cfg["channels"]), cfg["hidden"], cfg.get("context", 0), cfg.get("dropout", 0.0))


def loss(output, sums, counts=TRAIN_COUNTS):
    """-log P(sum = label, count in TRAIN_COUNTS), mean over the batch."""
    return sum_nll(output, sums, counts)


def init_from(model, path):
    """--init-from: start from another digits checkpoint's weights (same architecture), e.g. to fine-tune
    the shipped reader on a new composite distribution."""
    obj = checkpoints.load(path)
    if obj["model"] != "digits":
        raise UserError(f"--init-from {path}: a {obj['model']} checkpoint, not a digits one")
    checkpoints.load_state(model, obj["state_dict"], f"--init-from {path}: weights do not fit this digits model")
    return f"initialised from {path} (epoch {obj.get('epoch', '?')})"


def predict(output):
    """Most probable sum, every digit count allowed (up to 6 digits, sums up to 54)."""
    return sum_probabilities(output, MAX_READ_DIGITS).argmax(axis=1).astype(np.int64)


def shifted(images, s):
    """Each (…, H, W) image moved s px sideways without cutting ink: right when its last s columns are
    empty, else left when its first s are, else left where it is."""
    n, w = len(images), images.shape[-1]
    ink = images.reshape(n, -1, w).any(axis=1)
    right = ~ink[:, w - s:].any(axis=1)
    left = ~right & ~ink[:, :s].any(axis=1)
    out = images.copy()
    out[right, ..., s:], out[right, ..., :s] = images[right, ..., :w - s], 0
    out[left, ..., :w - s], out[left, ..., w - s:] = images[left, ..., s:], 0
    return out


def infer(model, images, config, encode):
    """(output of the unmoved images, predicted sums); see the module docstring for "shift_average".
    encode: images -> model input (the spec's encode_batch)."""
    out = model(minigrad.Tensor(encode(images)))
    phases = config.get("shift_average", 1)
    if phases <= 1:
        return out, predict(out.data)
    p = sum_probabilities(out.data, MAX_READ_DIGITS)
    for s in range(1, phases):
        p += sum_probabilities(model(minigrad.Tensor(encode(shifted(images, s)))).data, MAX_READ_DIGITS)
    return out, p.argmax(axis=1).astype(np.int64)


def read_digits(output, sums=None):
    """List of digit lists read from a batch of (N, T, 11) log-probabilities: the most probable reading
    whose digits add up to the predicted sum (`sums`, as infer returned them; default predict(output))."""
    return constrained_digits(output, predict(output) if sums is None else sums, MAX_READ_DIGITS)


def encode_dataset(x, model_config):
    """uint8 images -> uint8 images with the digits brought to a standard height (models.ink_height),
    when the config asks for it ("ink_height": [lo, hi, target]); checkpoints without the key read as is."""
    if not model_config.get("ink_height"):
        return x
    lo, hi, target = model_config["ink_height"]
    return normalise_heights(x, lo, hi, target)[0]


def augment(x, rng):
    """Training-time augmentation of a normalised batch (B, 1, H, W), label-preserving (digitsum.data.augment):
    a smooth random warp, then a random shift of up to SHIFT_X, SHIFT_Y px that never cuts ink. Why: without
    it the model fits its 27000 composites (train 99.9%, validation 95.9%); shifting moves every digit
    against the stride-4 column grid, warping gives each digit new handwriting."""
    return augmentation.shift(augmentation.warp(x, rng), rng, SHIFT_X, SHIFT_Y)


def epoch_order(sums, epoch, rng, fraction=CURRICULUM_FRACTION, spread=CURRICULUM_SPREAD):
    """Curriculum from the sum labels alone: the first `fraction` of epoch 1 draws (with replacement) only
    images whose sum is >= `spread` away from the mean sum, the rest of that epoch is a random subset;
    later epochs are plain permutations. Why: early on, P(digit | sum) is nearly flat for a middling sum
    (18 = 9+9+0+0 = 4+5+4+5 ...) but sharp for an extreme one (sum 3 leaves only 0-3), so those images give
    the clean first signal (torch prototype: 53% instead of 29% digit accuracy after 400 batches).
    The epoch keeps its length, so learning-rate schedules are unchanged."""
    n = len(sums)
    if epoch > 0:
        return rng.permutation(n)
    sums = np.asarray(sums, np.int64)
    extreme = np.flatnonzero(np.abs(sums - sums.mean()) >= spread)
    head = int(fraction * n) if len(extreme) else 0
    return np.concatenate([rng.choice(extreme, head) if head else np.zeros(0, np.int64),
                           rng.permutation(n)[:n - head]])


class DigitReaderSpec(ModelSpec):
    name = "digits"
    description = "column reader (blank + 10 digits per 4-px column) + exact sum DP; trained on sums only"
    model_config = {"channels": [32, 64, 96], "hidden": 192, "context": 3, "dropout": 0.1,
                    "ink_height": [17, 23, 20], "shift_average": 4}
    max_sum = 9 * MAX_READ_DIGITS
    train_defaults = {"epochs": 12, "lr": 2e-3, "batch_size": 64}
    build = staticmethod(build)
    loss = staticmethod(loss)
    predict = staticmethod(predict)
    read_digits = staticmethod(read_digits)
    augment = staticmethod(augment)
    epoch_order = staticmethod(epoch_order)
    encode_dataset = staticmethod(encode_dataset)
    init_from = staticmethod(init_from)

    def infer(self, model, images, config):
        return infer(model, images, config, lambda batch: self.encode_batch(batch, config))


SPEC = DigitReaderSpec()
