"""Reusable architectures with torchvision-compatible state_dict names, and their converted-weights files.

    vgg16_features(weights=None)                       VGG16 conv base (13 convs, 5 max-pools)
    resnet18(num_classes=1000, in_channels=3, small_stem=False)
    load_resnet18_weights(model, path)                 a converted torchvision ResNet-18 .npz
                                                       (StemMismatch: conv1 is for the other stem)
    read_weights(path) / write_weights(path, arrays, manifest); WeightsError

Weights files come from `python -m minigrad.convert` (see minigrad/convert.py).
"""
from .resnet import BasicBlock, ResNet18, StemMismatch, load_resnet18_weights, resnet18, sum_input_channels
from .vgg import VGG16_CONFIG, VGG16_CONV_INDICES, VGG16Features, vgg16_features
from .weights import MANIFEST_KEY, WeightsError, fit_state_dict, read_weights, write_weights
