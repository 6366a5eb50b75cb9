"""The torch side of the workloads, importing neither minigrad nor Numba, so that torch can also be timed
alone in a fresh process (the isolation check). Each builder takes the torch module as an argument.

Also the numpy inputs both sides share (conv_arrays), and torch twins of minigrad's models with
torchvision's module trees and state_dict names (ResNet-18 either stem, the VGG16 conv base).
"""
import numpy as np

# torchvision's VGG configuration "D" (VGG16): output channels per conv, "M" = 2x2/stride-2 max-pool
VGG16_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

CONV_LAYERS = {  # name: (Cin, Cout, H, W) at batch 64, 3x3, padding 1 (the reference CNN's convs)
    "a": (1, 32, 40, 168),
    "b": (32, 64, 20, 84),
    "c": (64, 128, 10, 42),
}


def conv_arrays(batch, cin, cout, h, w, seed=0):
    """x, weight, bias and an upstream gradient for one 3x3/pad-1 conv layer."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, cin, h, w)).astype(np.float32)
    wt = (rng.standard_normal((cout, cin, 3, 3)) * np.sqrt(2.0 / (cin * 9))).astype(np.float32)
    bias = rng.standard_normal(cout).astype(np.float32) * 0.1
    g = rng.standard_normal((batch, cout, h, w)).astype(np.float32)
    return x, wt, bias, g


def conv_step(torch, arrays, need_x, backward):
    """torch's conv2d(padding=1) on `arrays`, with backward(g) when asked."""
    x, wt, bias, g = arrays
    tx = torch.tensor(x, requires_grad=need_x)
    tw, tb, tg = torch.tensor(wt, requires_grad=True), torch.tensor(bias, requires_grad=True), torch.tensor(g)

    def step():
        out = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
        if backward:
            for t in (tx, tw, tb):
                t.grad = None
            out.backward(tg)
    return step


def reference_cnn(torch, h, w):
    """conv(1,32)-ReLU-pool -> conv(32,64)-ReLU-pool -> conv(64,128)-ReLU-pool -> 256 -> 1."""
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(64, 128, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(128 * (h // 8) * (w // 8), 256), tnn.ReLU(), tnn.Linear(256, 1))


def vgg16_features(torch, config):
    """torchvision's vgg16().features for `config` (minigrad.models.vgg.VGG16_CONFIG)."""
    layers, cin = [], 3
    for item in config:
        if item == "M":
            layers.append(torch.nn.MaxPool2d(2, 2))
        else:
            layers += [torch.nn.Conv2d(cin, item, 3, padding=1), torch.nn.ReLU()]
            cin = item
    return torch.nn.Sequential(*layers)


def resnet18(torch, num_classes=1000, in_channels=3, small_stem=False):
    """torchvision.models.resnet18's module tree, written out (no torchvision here). small_stem: conv1 is
    3x3 stride 2 and there is no stem max-pool, as in minigrad.models.resnet18(small_stem=True)."""
    tnn = torch.nn

    class BasicBlock(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False), tnn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + identity)

    class ResNet18(tnn.Module):
        def __init__(self):
            super().__init__()
            if small_stem:
                self.conv1 = tnn.Conv2d(in_channels, 64, 3, 2, 1, bias=False)
            else:
                self.conv1 = tnn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
            self.bn1 = tnn.BatchNorm2d(64)
            self.relu = tnn.ReLU()
            self.maxpool = tnn.Identity() if small_stem else tnn.MaxPool2d(3, 2, 1)
            cin = 64
            for i, width in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", tnn.Sequential(BasicBlock(cin, width, stride), BasicBlock(width, width, 1)))
                cin = width
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet18()
