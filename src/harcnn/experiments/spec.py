"""Study specs: a base configuration, an optional grid over it, and a number of repeats (seeds).

    name = "filters"            # default: the file name
    model = "cnn"
    repeats = 10
    epochs = 10
    [hparams]                   # the model's hyperparameters (see `harcnn models`)
    kernel = 3
    [grid]                      # every combination of these values is one configuration
    filters = [8, 16, 32, 64, 128, 256]

A spec is checked completely before anything runs, so a typo cannot cost an hour of training.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.models import BASELINES, MODELS, build, check_hyperparameter, hyperparameters, is_baseline
from harcnn.names import check_name
from harcnn.train.augment import Augmenter
from harcnn.train.recipe import RECIPE_EXTRAS, SCHEDULES, Recipe

# Training settings a spec may set, with their types and defaults.
TRAINING = {
    "epochs": (int, 10),
    "batch_size": (int, 32),
    "lr": (float, 1e-3),
    "standardize": (bool, False),
    "validation_subjects": (int, 0),
    "cv_folds": (int, 0),
    "weight_decay": (float, 0.0),
    "schedule": (str, "constant"),
    "warmup": (float, 0.0),
    "label_smoothing": (float, 0.0),
    "scale": (float, 0.0),
    "jitter": (float, 0.0),
    "rotate": (float, 0.0),
    "time_warp": (float, 0.0),
    "mixup": (float, 0.0),
}
# Settings added in harcnn 0.3 (the recipe's extras, cross-validation): at their defaults they are
# left out of a configuration's key, so that the configurations of earlier stores keep their keys.
OPTIONAL = (*RECIPE_EXTRAS, "cv_folds")
LIMITS = {"epochs": 100_000, "batch_size": 1 << 16, "validation_subjects": 10_000}
MAX_REPEATS = 1000
MAX_CONFIGS = 10_000
TOP = {"name", "description", "model", "repeats", "reference", "hparams", "grid", *TRAINING}


@dataclass(frozen=True)
class Config:
    """One point of a study's grid: everything that decides how a member is trained."""

    model: str
    hparams: dict
    epochs: int
    batch_size: int
    lr: float
    standardize: bool
    validation_subjects: int
    label: str
    cv_folds: int = 0  # k > 0: member seed s validates on fold s % k of the training subjects
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup: float = 0.0
    label_smoothing: float = 0.0
    scale: float = 0.0
    jitter: float = 0.0
    rotate: float = 0.0
    time_warp: float = 0.0
    mixup: float = 0.0

    @property
    def recipe(self) -> Recipe:
        return Recipe(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, **{k: getattr(self, k) for k in RECIPE_EXTRAS})

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "label" and not (k in OPTIONAL and v == TRAINING[k][1])}

    @property
    def validates(self) -> bool:
        """Whether its members hold training subjects out (`validation_subjects` or `cv_folds`)."""
        return bool(self.validation_subjects or self.cv_folds)

    def fold(self, seed: int) -> int | None:
        """The fold member `seed` validates on (None without cross-validation)."""
        return seed % self.cv_folds if self.cv_folds else None

    @property
    def key(self) -> str:
        """Stable id of the configuration (the label is for people and does not count)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Spec:
    path: Path
    name: str
    description: str
    repeats: int
    configs: list[Config] = field(default_factory=list)
    reference: str | None = None
    first_seed: int = 0  # seeds are first_seed .. first_seed + repeats - 1

    @property
    def seeds(self) -> range:
        return range(self.first_seed, self.first_seed + self.repeats)


def load_spec(path: str | Path) -> Spec:
    """Read and check a spec file; every problem names the file and the key."""
    path = Path(path)
    if path.is_dir():
        raise HarcnnError(f"{path}: is a folder; give a spec file (TOML), e.g. experiments/baseline.toml")
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise HarcnnError(f"{path}: no such spec file") from None
    except OSError as e:
        raise HarcnnError(f"{path}: cannot read the spec ({e.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise HarcnnError(f"{path}: not valid TOML ({e})") from None
    return parse_spec(raw, path)


def parse_spec(raw: dict, path: Path) -> Spec:
    def fail(key: str, problem: str) -> HarcnnError:
        return HarcnnError(f"{path}: {key}: {problem}")

    for key in raw:
        if key not in TOP:
            raise fail(key, f"unknown key; a spec may set {sorted(TOP)}")
    name = check_name(raw.get("name", path.stem), "name", f"{path}: name")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise fail("description", f"must be text, got {description!r}")
    grid = raw.get("grid", {})
    hparams = raw.get("hparams", {})
    for key, table in (("grid", grid), ("hparams", hparams)):
        if not isinstance(table, dict):
            raise fail(key, "must be a table")
    model = raw.get("model", "cnn")
    for m in grid.get("model", [model]):
        if not isinstance(m, str) or (m not in MODELS and not is_baseline(m)):
            raise fail("model", f"unknown model {m!r}; registered: {sorted(MODELS)}, baselines: {sorted(BASELINES)}")
    repeats = _typed(raw.get("repeats", 10), int, "repeats", fail)
    if not 1 <= repeats <= MAX_REPEATS:
        raise fail("repeats", f"must be from 1 to {MAX_REPEATS}, got {repeats}")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise fail(f"grid.{key}", "must be a non-empty list of values")
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > MAX_CONFIGS:
        raise fail("grid", f"has {size} configurations; at most {MAX_CONFIGS}")
    base = {k: _typed(raw.get(k, default), kind, k, fail) for k, (kind, default) in TRAINING.items()}
    configs = []
    for combo in itertools.product(*grid.values()):
        point = dict(zip(grid, combo))
        settings = {**base, "model": point.get("model", model)}
        params = dict(hparams)
        known = hyperparameters(settings["model"])
        for key, value in point.items():
            if key in TRAINING:
                settings[key] = _typed(value, TRAINING[key][0], f"grid.{key}", fail)
            elif key in known:
                params[key] = value
            elif key != "model":
                raise fail(
                    f"grid.{key}", f"not a training setting {sorted(TRAINING)} nor a hyperparameter of {settings['model']} {sorted(known)}"
                )
        for key, value in params.items():
            if key not in known:
                raise fail(f"hparams.{key}", f"model {settings['model']!r} has no such hyperparameter; it has {sorted(known)}")
            params[key] = _typed(value, type(known[key]), f"hparams.{key}", fail)
            try:
                check_hyperparameter(settings["model"], key, params[key], known[key])
            except HarcnnError as e:
                raise fail(f"hparams.{key}" if key not in point else f"grid.{key}", str(e)) from None
        _check_values(settings, fail)
        if settings["cv_folds"] and repeats % settings["cv_folds"]:
            raise fail("repeats", f"must be a multiple of cv_folds ({settings['cv_folds']}) so that every fold counts alike, got {repeats}")
        label = ", ".join(f"{k}={_show(v)}" for k, v in point.items()) or name
        configs.append(Config(hparams=params, label=label, **settings))
    reference = raw.get("reference")
    if reference is not None and reference not in [c.label for c in configs]:
        raise fail("reference", f"{reference!r} is not one of the configurations {[c.label for c in configs]}")
    return Spec(path, name, description, repeats, configs, reference)


def _typed(value, kind: type, key: str, fail):
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise fail(key, f"must be a list of whole numbers, got {value!r}")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise fail(key, f"must be {kind.__name__}, got {value!r}")
    return value


def _check_values(settings: dict, fail) -> None:
    for key in ("epochs", "batch_size"):
        if not 1 <= settings[key] <= LIMITS[key]:
            raise fail(key, f"must be from 1 to {LIMITS[key]}, got {settings[key]}")
    if not math.isfinite(settings["lr"]) or not 0 < settings["lr"] <= 10:
        raise fail("lr", f"must be a positive finite number (at most 10), got {settings['lr']}")
    if not 0 <= settings["validation_subjects"] <= LIMITS["validation_subjects"]:
        raise fail("validation_subjects", f"must be 0 (none) or a number of subjects, got {settings['validation_subjects']}")
    if settings["cv_folds"] == 1 or not 0 <= settings["cv_folds"] <= LIMITS["validation_subjects"]:
        raise fail("cv_folds", f"must be 0 (none) or a number of folds from 2, got {settings['cv_folds']}")
    if settings["cv_folds"] and settings["validation_subjects"]:
        raise fail("cv_folds", "give either cv_folds or validation_subjects, not both")
    if settings["schedule"] not in SCHEDULES:
        raise fail("schedule", f"must be one of {list(SCHEDULES)}, got {settings['schedule']!r}")
    bounds = {
        "weight_decay": 1.0,
        "warmup": 1.0,
        "label_smoothing": 1.0,
        "scale": 10.0,
        "jitter": 10.0,
        "rotate": 180.0,
        "time_warp": 1.0,
        "mixup": 100.0,
    }
    for key, high in bounds.items():
        if not math.isfinite(settings[key]) or not 0 <= settings[key] < high:
            raise fail(key, f"must be a finite number in [0, {high:g}), got {settings[key]}")


def _show(value) -> str:
    return "-".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def check_against_data(spec: Spec, train: WindowSet) -> None:
    """Build every configuration once (one member, on the meta device: no memory) so impossible
    shapes fail before training, and check that the training subjects can be split as asked and
    that rotations have x/y/z channels to turn."""
    c_in, n_classes, seq_len, n_subjects = train.n_channels, len(train.classes), train.seq_len, len(np.unique(train.subject))
    for config in spec.configs:
        try:
            Augmenter(config.recipe, train.channels)  # what training builds: its refusals, before anything trains
        except HarcnnError as e:
            raise HarcnnError(f"{spec.path}: configuration [{config.label}]: {e}") from None
        for key, most in (("validation_subjects", n_subjects - 1), ("cv_folds", n_subjects)):
            if getattr(config, key) > most:
                raise HarcnnError(
                    f"{spec.path}: configuration [{config.label}]: {key} = {getattr(config, key)}, but the training split has {n_subjects} subjects"
                )
    for config in (c for c in spec.configs if not is_baseline(c.model)):
        try:
            with torch.device("meta"):
                build(config.model, c_in, n_classes, seq_len, **config.hparams)
        except (HarcnnError, ValueError) as e:
            raise HarcnnError(f"{spec.path}: configuration [{config.label}]: {e}") from None
