"""The models `python -m digitsum.train --model NAME` can train: the registry of ModelSpec families.

The interface every family implements is documented in one place, digitsum.models.spec. Adding a model is
one module (subclass ModelSpec, create SPEC) and one line in REGISTRY. Entries are "module:attr" strings
imported on first use, so an unused model costs no start-up time.
"""
from importlib import import_module

from digitsum.cli import UserError

REGISTRY = {
    "regressor": "digitsum.models.cnn:REGRESSOR",
    "classifier": "digitsum.models.cnn:CLASSIFIER",
    "resnet": "digitsum.models.resnet:SPEC",
    "vgg": "digitsum.models.vgg_transfer:SPEC",
    "digits": "digitsum.models.digit_reader:SPEC",
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
