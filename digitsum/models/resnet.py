"""`--model resnet`: ResNet-18 (basic blocks, BatchNorm) with a 1-channel stem for 40x168 and 37 logits.

The small stem (3x3 stride 2, no max-pool) suits the 40-px height; with --init-from the standard 7x7 stem
is used so converted torchvision weights fit.
"""
from minigrad.models import resnet18
from minigrad.models.resnet import load_resnet18_weights
from minigrad.models.weights import WeightsError

from digitsum.cli import UserError
from digitsum.data.shapes import NUM_SUMS
from digitsum.models.cnn import SumClassifier


def build_resnet(cfg):
    return resnet18(num_classes=NUM_SUMS, in_channels=1, small_stem=cfg["small_stem"])


class ResNet(SumClassifier):
    name = "resnet"
    description = "ResNet-18 (basic blocks, BatchNorm), 1-channel stem for 40x168, 37 logits"
    model_config = {"small_stem": True}
    train_defaults = {"epochs": 1, "optimizer": "adamw", "weight_decay": 1e-4}
    init_from_config = {"small_stem": False}
    build = staticmethod(build_resnet)

    def init_from(self, model, path):
        """Load a converted torchvision resnet18 .npz (python -m minigrad.convert torch STATE.pth OUT.npz).

        conv1 is summed over RGB to our 1 input channel (exact for a grey image repeated to RGB); the
        1000-class `fc` cannot fit 37 sums and keeps its fresh init. Used with the standard 7x7 stem
        (init_from_config)."""
        try:
            kept = load_resnet18_weights(model, path, keep_head_on_mismatch=True)
        except WeightsError as e:
            raise UserError(f"--init-from: {e}") from None
        return f"initialised from {path}; kept fresh: {', '.join(kept) or 'nothing'}"


SPEC = ResNet()
