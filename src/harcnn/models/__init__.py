"""Model registry: name -> builder with the shared signature `(c_in, n_classes, seq_len, **hparams)`.

Every builder also takes `members`, the population size: one module holding that many independent
models (see `models.layers`). To add a model, write one file with population layers and register it
here; the generic test in tests/test_models.py then checks it.

    >>> from harcnn import models
    >>> models.list_models(peers=False)
    ['cnn', 'multihead', 'fcn', 'resnet', 'inception', 'convlstm']
    >>> net = models.create("cnn", c_in=9, n_classes=6, seq_len=128, filters=32)
"""

from __future__ import annotations

import inspect
import math

import torch

from harcnn.errors import HarcnnError
from harcnn.models import baselines
from harcnn.models.baselines import BASELINES
from harcnn.models.cnn import CNN
from harcnn.models.convlstm import DeepConvLSTM
from harcnn.models.fcn import FCN
from harcnn.models.inception import InceptionTime
from harcnn.models.layers import PopulationModel
from harcnn.models.memory import population_member_bytes
from harcnn.models.multihead import MultiHeadCNN
from harcnn.models.resnet import ResNet

MODELS: dict[str, type[PopulationModel]] = {
    "cnn": CNN,
    "multihead": MultiHeadCNN,
    "fcn": FCN,
    "resnet": ResNet,
    "inception": InceptionTime,
    "convlstm": DeepConvLSTM,
}
MAX_SIZE = 1 << 16  # largest width, kernel or pooling size a hyperparameter may name


def list_models(peers: bool = True) -> list[str]:
    """The registered model names: the CNN families, then (with `peers`) the aeon peers."""
    return list(MODELS) + (list(BASELINES) if peers else [])


def describe(name: str) -> str:
    """One line for `harcnn models`: the hyperparameters with their defaults, and what it accepts."""
    params = ", ".join(f"{k}={v}" for k, v in hyperparameters(name).items())
    if not is_population(name):
        return f'{name}: {params}; a peer (aeon, pip install "harcnn[rocket]"), one seed at a time; windows of at least {BASELINES[name].min_length} steps'
    length = "windows of any length (global average pooling)" if MODELS[name].ANY_LENGTH else "windows of the length it was built for"
    scaling = MODELS[name].WINDOW_SCALING
    return f"{name}: {params}; {length}" + (f"; {scaling}" if scaling else "")


def is_population(name: str) -> bool:
    """Whether `name` trains its seeds together as one population (the CNNs); a peer (aeon) fits one
    seed at a time. The one place where the two kinds differ is here and in `baselines`."""
    require_registered(name)
    return name in MODELS


def require_registered(name: object) -> str:
    if not isinstance(name, str) or (name not in MODELS and name not in BASELINES):
        raise HarcnnError(f"unknown model {name!r}; registered: {list_models()}")
    return name


def check_input(name: str, c_in: int, n_classes: int, seq_len: int, hparams: dict) -> None:
    """Refuse, before anything trains, windows the model cannot take: a CNN is built once on the meta
    device (no memory), a peer's kernels must fit."""
    if not is_population(name):
        return baselines.check_input(name, seq_len)
    with torch.device("meta"):
        build(name, c_in, n_classes, seq_len, **hparams)


def member_bytes(name: str, hparams: dict, c_in: int, n_classes: int, seq_len: int, n_windows: int, batch_size: int) -> int:
    """Memory one member (one seed) needs to train on `n_windows` windows (`models.memory`, `baselines.memory_bytes`)."""
    if not is_population(name):
        return baselines.memory_bytes(name, hparams, n_windows)
    with torch.device("meta"):
        model = build(name, c_in, n_classes, seq_len, **hparams)
    return population_member_bytes(model, c_in, seq_len, n_windows, batch_size)


def members_in(name: str, budget: int, per_member: int) -> int:
    """How many seeds train together in `budget` bytes: a population as many as fit, a peer one."""
    return max(1, budget // per_member) if is_population(name) else 1


def hyperparameters(name: str) -> dict[str, object]:
    """The tunable hyperparameters of a model (or baseline) and their defaults."""
    if name in BASELINES:
        return BASELINES[name].defaults
    params = inspect.signature(_builder(name)).parameters
    fixed = {"self", "c_in", "n_classes", "seq_len", "members"}
    return {k: p.default for k, p in params.items() if k not in fixed}


def build(name: str, c_in: int, n_classes: int, seq_len: int, members: int = 1, **hparams) -> PopulationModel:
    """Build a model (or a population of `members` models); unknown or out-of-range hyperparameters are an error."""
    known = hyperparameters(name)
    unknown = sorted(set(hparams) - set(known))
    if unknown:
        raise HarcnnError(f"model {name!r} has no hyperparameter {unknown[0]!r}; it has {sorted(known)}")
    for key, value in {**known, **hparams}.items():
        check_hyperparameter(name, key, value, known[key])
    if "kernels" in hparams:
        hparams["kernels"] = tuple(hparams["kernels"])
    for key, value in (("c_in", c_in), ("n_classes", n_classes), ("seq_len", seq_len), ("members", members)):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SIZE * 16:
            raise HarcnnError(f"model {name!r}: {key} must be a whole number from 1 to {MAX_SIZE * 16}, got {value!r}")
    try:
        return _builder(name)(c_in, n_classes, seq_len, members=members, **hparams)
    except ValueError as e:
        raise HarcnnError(f"model {name!r}: {e}") from None


def create(name: str, c_in: int = 9, n_classes: int = 6, seq_len: int = 128, members: int = 1, seed: int = 0, **hparams) -> PopulationModel:
    """A model ready for any training loop: built, member r initialised from seed `seed + r` (Keras'
    initialisers) and its dropout drawing from that member's generator (CPU)."""
    from harcnn.models.layers import bind_generators, reset_members

    model = build(name, c_in, n_classes, seq_len, members=members, **hparams)
    generators = [torch.Generator().manual_seed(seed + r) for r in range(members)]
    reset_members(model, generators)
    bind_generators(model, generators)
    return model


def check_hyperparameter(model: str, key: str, value, default) -> None:
    """Whole-number sizes are 1..MAX_SIZE, floats finite, dropout rates in [0, 1), lists of sizes non-empty."""
    where = f"model {model!r}: {key}"
    if isinstance(default, bool) or isinstance(value, bool):
        if not isinstance(value, bool) or not isinstance(default, bool):
            raise HarcnnError(f"{where} must be {type(default).__name__}, got {value!r}")
    elif isinstance(default, int):
        if not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
            raise HarcnnError(f"{where} must be a whole number from 1 to {MAX_SIZE}, got {value!r}")
    elif isinstance(default, float):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise HarcnnError(f"{where} must be a finite number, got {value!r}")
        if "dropout" in key and not 0 <= value < 1:
            raise HarcnnError(f"{where} must be a rate in [0, 1), got {value!r}")
    elif isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not value:
            raise HarcnnError(f"{where} must be a non-empty list of whole numbers, got {value!r}")
        for v in value:
            check_hyperparameter(model, key, v, default[0])


def _builder(name: str) -> type[PopulationModel]:
    if name not in MODELS:
        raise HarcnnError(f"unknown model {name!r}; registered: {list_models()}")
    return MODELS[name]
