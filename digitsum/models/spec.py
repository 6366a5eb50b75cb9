"""The model interface: what every `--model` family provides, and the training defaults they share.

A family is one module that subclasses ModelSpec, sets its attributes, implements the three required
methods and creates one instance named SPEC (or several, e.g. digitsum.models.cnn); digitsum.models'
REGISTRY names it in one line. The engine and the commands are generic over ModelSpec: they never test a
model's name. Arrays are numpy; `output` is the model's forward output (a Tensor in `loss`, its ndarray
elsewhere).

Attributes:
    name: str                       the --model name, stored in every checkpoint
    description: str                one line saying what the model is
    model_config: dict              JSON-able; stored in every checkpoint, so build(model_config) rebuilds
                                    the model with no other flags
    train_defaults: dict            this family's overrides of DEFAULT_TRAINING
    max_sum: int                    the largest sum predict can return, default 36 (a family that counts the
                                    digits itself reads more, e.g. 54); evaluate accepts labels up to it

Required methods:
    build(config) -> nn.Module                       a fresh, initialised model
    loss(output: Tensor, sums: int64 ndarray) -> 0-d Tensor, the training objective (mean over the batch)
    predict(output: ndarray) -> int64 ndarray of sums

Steps with defaults that suit a CNN on the raw images (override when a family needs to):
    encode_dataset(x_uint8 (N, 40, 168), config) -> array   once per split; default: the images themselves
                                                            (a frozen feature extractor caches features here)
    encode_batch(batch, config) -> float32 model input      per batch; default: normalize to (B, 1, 40, 168)
    epoch_order(sums, epoch, rng) -> int array              the indices one training epoch visits, in order;
                                                            default: rng.permutation (e.g. a curriculum)
    augment(batch, rng) -> batch                            training-time augmentation of an encoded batch;
                                                            default: none
    infer(model, images, config) -> (output, sums)          test-time forward of encode_dataset's images;
                                                            default: model(encode_batch(images)), predict

Optional capabilities, None on the base class when a family does not have them:
    read_digits(output, sums) -> list[list[int]]  the digits read per image (agreeing with the predicted sums):
                                              predict's reading column and
                                              evaluate's --show, --grid and --digit-labels
    init_from(model, path) -> str             load external weights (train --init-from), say what was kept;
                                              UserError when they do not fit the model built from the config

Defaults, written down:
- Input: pixels /255, then standardised with the training composites' mean/std (digitsum.data.loading.normalize).
- Init: PyTorch's defaults (kaiming-uniform a=sqrt(5) for conv/linear weights). The regressor's last bias
  starts at 18, the mean sum, so training starts from the mean predictor instead of 0 (MSE ~34, not ~360).
  The ResNet uses torchvision's init (kaiming-normal, fan_out) and BatchNorm 1/0.
- Optimiser: Adam lr 1e-3 (AdamW lr 3e-3, wd 0.05 for the ResNet), cosine-annealed per step to 0 over the run after
  a short linear warm-up (3% of the steps, WarmupCosineLR), batch 64.
- Epochs: 3, so the main command (`python -m digitsum.train --model regressor`: MNIST fetch, generation,
  training, testing) fits in 10 minutes on 2 cores; the reports' protocol is `--epochs 15 --seeds 0 10 42`.
  The ResNet defaults to 5, the protocol's minimum for it.
- Validation: 10% of the training folder, split with a fixed seed (0) so runs with different --seed share it.
  The test metrics are those of the best-validation epoch's weights (best.npz).
"""
import minigrad

from digitsum.data.loading import normalize
from digitsum.data.shapes import MAX_SUM

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


class ModelSpec:
    """Base class of a model family; see the module docstring for the contract."""

    name = None
    description = ""
    model_config = {}
    train_defaults = {}
    read_digits = None
    init_from = None
    max_sum = MAX_SUM

    def build(self, config):
        raise NotImplementedError(f"{type(self).__name__}.build")

    def loss(self, output, sums):
        raise NotImplementedError(f"{type(self).__name__}.loss")

    def predict(self, output):
        raise NotImplementedError(f"{type(self).__name__}.predict")

    def encode_dataset(self, x, config):
        return x

    def encode_batch(self, batch, config):
        return normalize(batch)

    def infer(self, model, images, config):
        """(output Tensor, predicted sums) of one batch of encode_dataset's images; the caller sets eval
        mode and no_grad. Models that read a batch more than once at test time override it."""
        out = model(minigrad.Tensor(self.encode_batch(images, config)))
        return out, self.predict(out.data)

    def epoch_order(self, sums, epoch, rng):
        return rng.permutation(len(sums))

    def augment(self, batch, rng):
        return batch

    def training_config(self):
        """DEFAULT_TRAINING overridden by this family's train_defaults."""
        return {**DEFAULT_TRAINING, **self.train_defaults}
