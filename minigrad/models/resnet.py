"""ResNet-18 with torchvision's exact module tree and state_dict names, so its weights load 1:1.

Names: conv1, bn1, layer1.0.conv1, layer1.0.bn1, ..., layer2.0.downsample.0 / .1, fc.

small_stem=True is for small images such as digitsum's 40x168: conv1 becomes a 3x3 convolution with
stride 2 (padding 1) and the stem max-pool is dropped (Identity). The network then downsamples 16x instead
of 32x: 40x168 enters layer1 at 20x84 and leaves layer4 at 3x11 (the standard stem gives 2x6). A stride-1
stem (CIFAR style) would run layer1 at full 40x168 resolution and cost ~8 GFLOP per image forward, too much
for CPU training; the stride-2 stem costs ~2 GFLOP. Key names are unchanged (conv1.weight is 3x3 instead
of 7x7), so a torchvision checkpoint loads only into the standard stem.

Pretrained weights for another number of input channels: load_resnet18_weights sums conv1 over its input
channels when the model has one. For a grey image g, conv(w, [g, g, g]) == conv(w.sum(axis=1), g), so the
1-channel network sees a grey image exactly as the RGB network sees it repeated to 3 channels (before
per-channel normalisation, whose means/stds are nearly equal across channels for ImageNet).
"""
import numpy as np

from .. import init, nn
from .weights import WeightsError, check_architecture, fit_state_dict, read_weights


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN layers with an identity (or 1x1 conv + BN `downsample`) shortcut."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(out_channels))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    def __init__(self, num_classes=1000, in_channels=3, small_stem=False):
        super().__init__()
        self.in_channels, self.num_classes, self.small_stem = in_channels, num_classes, small_stem
        if small_stem:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=2, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.Identity() if small_stem else nn.MaxPool2d(3, stride=2, padding=1)
        widths, channels = (64, 128, 256, 512), 64
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(channels, width, stride),
                                                         BasicBlock(width, width)))
            channels = width
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)
        for name, module in self.named_modules():  # torchvision's init for convs (BN is 1/0 by default)
            if isinstance(module, nn.Conv2d):
                init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def features(self, x):
        """Everything before the classifier: (N, C, H, W) -> (N, 512) pooled features."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.avgpool(x).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


def resnet18(num_classes=1000, in_channels=3, small_stem=False):
    """torchvision-compatible ResNet-18 (random init). See the module docstring for small_stem."""
    return ResNet18(num_classes=num_classes, in_channels=in_channels, small_stem=small_stem)


def sum_input_channels(weight, in_channels):
    """Adapt a first-layer conv weight (Cout, C, kh, kw) to 1 input channel by summing over C."""
    if weight.shape[1] == in_channels:
        return weight
    if in_channels != 1:
        raise WeightsError(f"conv1 has {weight.shape[1]} input channels; only a conversion to 1 is defined")
    return weight.sum(axis=1, keepdims=True)


class StemMismatch(WeightsError):
    """The weights' conv1 is for the other stem (7x7: standard, 3x3: small_stem); `small_stem` names theirs."""

    def __init__(self, message, small_stem):
        super().__init__(message)
        self.small_stem = small_stem


def check_stem(model, arrays, source):
    """Refuse weights whose conv1 kernel is for the other stem, before a long list of shape mismatches."""
    if "conv1.weight" not in arrays or np.ndim(arrays["conv1.weight"]) != 4:
        return
    theirs, ours = tuple(arrays["conv1.weight"].shape[2:]), tuple(model.conv1.weight.shape[2:])
    if theirs != ours and theirs in ((7, 7), (3, 3)):
        name = {(7, 7): "the standard stem", (3, 3): "the small stem"}
        raise StemMismatch(f"{source}: conv1 is {theirs[0]}x{theirs[1]}, for {name[theirs]}; this ResNet-18 has "
                           f"{name.get(ours, 'another stem')} ({ours[0]}x{ours[1]} conv1)", theirs == (3, 3))


def load_resnet18_weights(model, path, keep_head_on_mismatch=True):
    """Load a converted ResNet-18 .npz into `model`. conv1 is summed to 1 channel if the model is grey.
    Weights for the other stem raise StemMismatch. When the checkpoint's fc does not fit (another number of
    classes) and keep_head_on_mismatch, the model keeps its freshly initialised fc. Returns the list of keys
    left at their initial values."""
    arrays, manifest = read_weights(path)
    check_architecture(manifest, "resnet18", str(path))
    check_stem(model, arrays, str(path))
    if "conv1.weight" in arrays:
        arrays["conv1.weight"] = sum_input_channels(arrays["conv1.weight"], model.in_channels)
    kept = []
    own_fc = {k: np.asarray(getattr(v, "data", v)) for k, v in model.state_dict().items() if k.startswith("fc.")}
    if keep_head_on_mismatch and any(k in arrays and arrays[k].shape != v.shape for k, v in own_fc.items()):
        for k, v in own_fc.items():
            arrays[k] = v
            kept.append(k)
    model.load_state_dict(fit_state_dict(model, arrays, "ResNet-18", str(path)))
    return kept
