"""Every training setting declared once: its type, bounds, default and meaning.

The spec parser (`experiments.spec`), the training recipe (`train.recipe`), `HARClassifier`'s
parameters and the README's settings table are all derived from `SETTINGS`, and every entry point
(a spec, the estimator, a loaded model's metadata) checks values with `check`, so a value refused in
a spec is refused everywhere, with the same one-line message. scikit-learn's
`_parameter_constraints` is the model: constraints as data, one validator.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from harcnn.choices import PEER_NAMES
from harcnn.errors import HarcnnError


@dataclass(frozen=True)
class Setting:
    """One setting: `kind` is int, float, bool, str or tuple; numbers lie in [low, high] (`high_open`:
    high itself excluded; `low_open`: low excluded); text is one of `choices`, a tuple some of them,
    each once; `skip` is a value refused inside the range (cv_folds = 1 is not a cross-validation)."""

    name: str
    kind: type
    default: object
    doc: str
    group: str  # "recipe": how a member trains; "data": what it trains and validates on; "ensemble": what joins it; "estimator": HARClassifier's own
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    skip: int | None = None
    keyed_at_default: bool = True  # False: added after 0.2; left out of a configuration's key at its default

    @property
    def allowed(self) -> str:
        """The allowed values, in words (for errors and the README)."""
        if self.kind is bool:
            return "true or false"
        if self.kind is tuple:
            return f"a list of {', '.join(repr(c) for c in self.choices)}, each once"
        if self.choices:
            return " or ".join(repr(c) for c in self.choices)
        if self.kind is int:
            span = f"a whole number from {self.low:g} to {self.high:g}"
        else:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            span = f"a finite number in {left}{self.low:g}, {self.high:g}{right}"
        return span + (f", not {self.skip}" if self.skip is not None else "")

    def check(self, value: object, where: str) -> object:
        """`value` as this setting's type (numpy scalars accepted, whole floats not), or a one-line error."""
        fail = HarcnnError(f"{where}: {self.name}: must be {self.allowed}, got {value!r}")
        if self.kind is bool:
            if not isinstance(value, bool | np.bool_):
                raise fail
            return bool(value)
        if self.kind is str:
            if not isinstance(value, str) or value not in self.choices:
                raise fail
            return str(value)
        if self.kind is tuple:
            if not isinstance(value, list | tuple) or any(v not in self.choices for v in value) or len(set(value)) < len(value):
                raise fail
            return tuple(str(v) for v in value)
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise fail
        if self.kind is int:
            if not isinstance(value, numbers.Integral):
                raise fail
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise fail
        low_ok = value > self.low if self.low_open else value >= self.low
        high_ok = value < self.high if self.high_open else value <= self.high
        if not (low_ok and high_ok) or value == self.skip:
            raise fail
        return value


def _unit(name: str, doc: str, high: float = 1.0, **kw) -> Setting:
    """A non-negative float ingredient, off (0) by default."""
    return Setting(name, float, 0.0, doc, "recipe", low=0.0, high=high, high_open=True, keyed_at_default=False, **kw)


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("epochs", int, 10, "passes over the training windows", "recipe", low=1, high=100_000),
        Setting("batch_size", int, 32, "windows per optimiser step", "recipe", low=1, high=1 << 16),
        Setting(
            "min_steps",
            int,
            0,
            "at least this many optimiser steps: on a small training set the epochs grow to reach it (0: off)",
            "recipe",
            low=0,
            high=10_000_000,
            keyed_at_default=False,
        ),
        Setting("lr", float, 1e-3, "Adam's learning rate (the peak, with a schedule)", "recipe", low=0.0, high=10.0, low_open=True),
        Setting(
            "precision",
            str,
            "float32",
            "arithmetic of the training steps: bfloat16 runs convolutions in bfloat16 (autocast; weights, optimiser, "
            "loss and prediction stay float32)",
            "recipe",
            choices=("float32", "bfloat16"),
            keyed_at_default=False,
        ),
        _unit("weight_decay", "decoupled weight decay, as AdamW"),
        Setting(
            "early_stopping",
            int,
            0,
            "stop a member once its validation loss has not improved for this many epochs; every member keeps the weights of "
            "its lowest validation loss (0: off; needs validation_subjects or cv_folds, never the test split)",
            "recipe",
            low=0,
            high=10_000,
            keyed_at_default=False,
        ),
        Setting(
            "schedule",
            str,
            "constant",
            "learning-rate schedule: cosine is a linear warmup then cosine decay to zero",
            "recipe",
            choices=("constant", "cosine"),
            keyed_at_default=False,
        ),
        _unit("warmup", "share of the steps spent warming up (cosine schedule)"),
        _unit("label_smoothing", "label smoothing of the cross-entropy"),
        _unit("scale", "augmentation: each window's channels times N(1, scale)", high=10.0),
        _unit("jitter", "augmentation: N(0, jitter) added to every value", high=10.0),
        _unit(
            "rotate",
            "augmentation: the sensor frame turned by up to this many degrees, the same rotation for every x/y/z triplet of a window",
            high=180.0,
        ),
        _unit("time_warp", "augmentation: smooth random speed changes, N(1, time_warp) at four knots"),
        _unit("mixup", "augmentation: Beta(mixup, mixup) blends of window pairs and their labels", high=100.0),
        Setting(
            "join",
            tuple,
            (),
            "peers joined to the CNN as a heterogeneous ensemble: each fitted on the same training windows, then every part "
            "calibrated and weighted on the held-out training subjects (needs validation_subjects or cv_folds)",
            "ensemble",
            choices=PEER_NAMES,
            keyed_at_default=False,
        ),
        Setting("standardize", bool, False, "standardise each channel with the training windows' mean and std", "data"),
        Setting(
            "validation_subjects", int, 0, "training subjects held out for validation curves and selection", "data", low=0, high=10_000
        ),
        Setting(
            "cv_folds",
            int,
            0,
            "subject-grouped folds of the training split: seed s validates on fold s % k",
            "data",
            low=0,
            high=10_000,
            skip=1,
            keyed_at_default=False,
        ),
        Setting(
            "test_folds",
            int,
            0,
            "evaluation protocol: 0 scores on the dataset's test split; k pools all subjects into k subject-grouped folds and "
            "seed s is tested on fold s % k (as many folds as subjects: leave-one-subject-out)",
            "data",
            low=0,
            high=10_000,
            skip=1,
            keyed_at_default=False,
        ),
        Setting(
            "split_seed",
            int,
            0,
            "deals subjects into validation subjects, cv_folds and test_folds; 0 is the project's fixed split, another "
            "value a fresh one (subject splits never seen while choosing)",
            "data",
            low=0,
            high=2**31 - 1,
            keyed_at_default=False,
        ),
    )
}
RECIPE = tuple(name for name, s in SETTINGS.items() if s.group == "recipe")


def dataclass_fields(names: tuple[str, ...] = tuple(SETTINGS)) -> list[tuple]:
    """`make_dataclass` fields for `names`, typed and defaulted as declared (`Config`, `Recipe`)."""
    return [(n, SETTINGS[n].kind, field(default=SETTINGS[n].default)) for n in names]


DEFAULTS = {name: s.default for name, s in SETTINGS.items()}


def check_settings(values: dict, where: str) -> dict:
    """Every setting of `values` checked and typed, the missing ones at their defaults, and the rules
    that join two settings; unknown names are an error."""
    unknown = sorted(set(values) - set(SETTINGS))
    if unknown:
        raise HarcnnError(f"{where}: {unknown[0]}: not a training setting; they are {sorted(SETTINGS)}")
    out = {name: s.check(values[name], where) if name in values else s.default for name, s in SETTINGS.items()}
    if out["cv_folds"] and out["validation_subjects"]:
        raise HarcnnError(f"{where}: cv_folds: give either cv_folds or validation_subjects, not both")
    if out["early_stopping"] and not (out["validation_subjects"] or out["cv_folds"]):
        raise HarcnnError(
            f"{where}: early_stopping: it watches the validation loss, so hold training subjects out (validation_subjects or cv_folds); "
            "the test split is never watched"
        )
    if out["join"] and not (out["validation_subjects"] or out["cv_folds"]):
        raise HarcnnError(
            f"{where}: join: the peers and the CNN are weighted on held-out training subjects, so hold some out "
            "(validation_subjects or cv_folds); the test split is never read"
        )
    if out["cv_folds"] and out["test_folds"]:
        raise HarcnnError(f"{where}: test_folds: cross-validation inside test folds is not supported; hold validation_subjects out instead")
    return out


def _toml(value: object) -> str:
    """A default as a spec writes it."""
    if isinstance(value, tuple):
        return f"[{', '.join(map(_toml, value))}]"
    return (
        str(value).lower()
        if isinstance(value, bool)
        else f'"{value}"'
        if isinstance(value, str)
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def markdown_table() -> str:
    """The README's table of settings (a test keeps the README equal to it)."""
    rows = [f"| `{s.name}` | `{_toml(s.default)}` | {s.allowed} | {s.doc} |" for s in SETTINGS.values()]
    return "\n".join(["| setting | default | allowed | what it does |", "| --- | --- | --- | --- |", *rows])
