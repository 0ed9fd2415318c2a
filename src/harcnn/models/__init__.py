"""Model registry: name -> builder with the shared signature `(c_in, n_classes, seq_len, **hparams)`.

Every builder also takes `members`, the population size: one module holding that many independent
models (see `models.layers`). To add a model, write one file with population layers and register it
here; the generic test in tests/test_models.py then checks it.
"""

import inspect

from torch import nn

from harcnn.errors import HarcnnError
from harcnn.models.cnn import CNN
from harcnn.models.multihead import MultiHeadCNN

MODELS: dict[str, type[nn.Module]] = {"cnn": CNN, "multihead": MultiHeadCNN}


def hyperparameters(name: str) -> dict[str, object]:
    """The tunable hyperparameters of a model and their defaults."""
    params = inspect.signature(_builder(name)).parameters
    fixed = {"self", "c_in", "n_classes", "seq_len", "members"}
    return {k: p.default for k, p in params.items() if k not in fixed}


def build(name: str, c_in: int, n_classes: int, seq_len: int, members: int = 1, **hparams) -> nn.Module:
    """Build a model (or a population of `members` models); unknown hyperparameters are an error."""
    known = hyperparameters(name)
    unknown = sorted(set(hparams) - set(known))
    if unknown:
        raise HarcnnError(f"model {name!r} has no hyperparameter {unknown[0]!r}; it has {sorted(known)}")
    if "kernels" in hparams:
        hparams["kernels"] = tuple(hparams["kernels"])
    return _builder(name)(c_in, n_classes, seq_len, members=members, **hparams)


def _builder(name: str) -> type[nn.Module]:
    if name not in MODELS:
        raise HarcnnError(f"unknown model {name!r}; registered: {sorted(MODELS)}")
    return MODELS[name]
