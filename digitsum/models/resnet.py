"""`--model resnet`: ResNet-18 (basic blocks, BatchNorm) with a 1-channel input for 40x168 and 37 logits.

Two stems, chosen with --stem and stored in the model config as `stem`:
- torchvision (default): torchvision's 7x7 stride-2 conv + 3x3 stride-2 max-pool. 40x168 enters layer1 at
  10x42; this is the stem ImageNet weights fit.
- small: a 3x3 stride-2 conv and no max-pool. layer1 runs at 20x84; 0.97 G conv multiply-adds per image
  forward against the torchvision stem's 0.29 G.
Checkpoints written before `stem` existed hold `small_stem` instead (True, or False when trained with
--init-from) and load as the stem they were trained with.

--init-from takes a converted ResNet-18 .npz (python -m minigrad.convert torch STATE.pth OUT.npz). Its conv1
decides the stem it fits: torchvision's ImageNet weights (7x7 conv1, 3 or 1 input channels) load into the
torchvision stem only; weights with a 3x3 conv1 (a small-stem ResNet-18 trained in torch) into the small
stem only. A mismatch is refused before training starts.
"""
from minigrad.models import StemMismatch, WeightsError, load_resnet18_weights, resnet18

from digitsum.cli import UserError
from digitsum.data.shapes import NUM_SUMS
from digitsum.models.cnn import SumClassifier

STEMS = ("torchvision", "small")


def stem_of(cfg):
    """The stem a model config names; a config without `stem` predates it and says `small_stem` (default True)."""
    if "stem" not in cfg:
        return "small" if cfg.get("small_stem", True) else "torchvision"
    if cfg["stem"] not in STEMS:
        raise ValueError(f"unknown ResNet stem {cfg['stem']!r}; choose from {', '.join(STEMS)}")
    return cfg["stem"]


def build_resnet(cfg):
    return resnet18(num_classes=NUM_SUMS, in_channels=1, small_stem=stem_of(cfg) == "small")


class ResNet(SumClassifier):
    name = "resnet"
    description = "ResNet-18 (basic blocks, BatchNorm), torchvision or small stem, 1-channel 40x168 input, 37 logits"
    model_config = {"stem": "torchvision"}
    # From scratch, chosen on 9000-image subsets (3 epochs each, best validation accuracy; the table is in
    # docs/results/resnet/recipe.md): AdamW, peak lr 3e-3 (1e-3 and 6e-3 did worse), weight decay 0.05 (0 made
    # no difference), fixed composites (fresh ones did not help), the shared 3% linear warm-up and cosine to 0
    # per step, batch 64; 5 epochs, the protocol's minimum here.
    train_defaults = {"epochs": 5, "optimizer": "adamw", "lr": 3e-3, "weight_decay": 0.05}
    build = staticmethod(build_resnet)

    def init_from(self, model, path):
        """Load a converted torchvision resnet18 .npz into a model of either stem (see the module docstring).

        conv1 is summed over RGB to our 1 input channel (exact for a grey image repeated to RGB); the
        1000-class `fc` cannot fit 37 sums and keeps its fresh init."""
        try:
            kept = load_resnet18_weights(model, path, keep_head_on_mismatch=True)
        except StemMismatch as e:
            fits = "small" if e.small_stem else "torchvision"
            raise UserError(f"--init-from: {e}; train with --stem {fits}") from None
        except WeightsError as e:
            raise UserError(f"--init-from: {e}") from None
        return f"initialised from {path}; kept fresh: {', '.join(kept) or 'nothing'}"


SPEC = ResNet()
