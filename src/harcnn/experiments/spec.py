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
import tomllib
from dataclasses import dataclass, field, make_dataclass, replace
from pathlib import Path

import numpy as np

from harcnn import models
from harcnn.data.splits import fold_of
from harcnn.errors import HarcnnError
from harcnn.models import check_hyperparameter
from harcnn.names import check_name
from harcnn.settings import SETTINGS, check_settings, dataclass_fields
from harcnn.train.recipe import Recipe

MAX_REPEATS = 1000
MAX_CONFIGS = 10_000
TOP = {"name", "description", "model", "repeats", "reference", "choose", "hparams", "grid", *SETTINGS}
# How `harcnn select` picks among its ranked candidates (the spec's `choose`; rule text for the store)
CHOOSE = {
    "best": "the highest mean",
    "one-se": "the first configuration in the spec's order whose mean is within one standard error of the highest "
    "(the one-standard-error rule of Breiman et al. 1984: list the cheaper or simpler configurations first)",
}
REFIT_SUFFIX = "-refit"  # ends the name of a selection's refit study
CANDIDATES_SUFFIX = "-candidates"  # a selection's candidates, scored on validation subjects (and "-candidates-test", on request)
RESERVED_SUFFIXES = (REFIT_SUFFIX, CANDIDATES_SUFFIX, CANDIDATES_SUFFIX + "-test")  # so that no user study can collide with one


class _ConfigMethods:
    @property
    def settings(self) -> dict:
        return {k: getattr(self, k) for k in SETTINGS}

    @property
    def recipe(self) -> Recipe:
        return Recipe.from_settings(self.settings)

    def to_json(self) -> dict:
        json_ = {"model": self.model, "hparams": self.hparams}
        return json_ | {k: v for k, v in self.settings.items() if SETTINGS[k].keyed_at_default or v != SETTINGS[k].default}

    @property
    def validates(self) -> bool:
        """Whether its members hold training subjects out (`validation_subjects` or `cv_folds`)."""
        return bool(self.validation_subjects or self.cv_folds)

    def fold(self, seed: int) -> int | None:
        """The fold member `seed` validates on (None without cross-validation)."""
        return fold_of(seed, self.cv_folds)

    def test_fold(self, seed: int) -> int | None:
        """The subject fold member `seed` is tested on (None: the dataset's test split)."""
        return fold_of(seed, self.test_folds)

    @property
    def key(self) -> str:
        """Stable id of the configuration (the label is for people and does not count)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


Config = make_dataclass(
    "Config",
    [("model", str), ("hparams", dict), ("label", str)] + dataclass_fields(),
    bases=(_ConfigMethods,),
    frozen=True,
)
Config.__module__ = __name__  # for pickling into worker processes
Config.__doc__ = "One point of a study's grid: the model, its hyperparameters and every training setting (`harcnn.settings`)."


@dataclass(frozen=True)
class Spec:
    path: Path
    name: str
    description: str
    repeats: int
    configs: list[Config] = field(default_factory=list)
    reference: str | None = None
    choose: str = "best"  # a key of CHOOSE
    first_seed: int = 0  # seeds are first_seed .. first_seed + repeats - 1

    @property
    def seeds(self) -> range:
        return range(self.first_seed, self.first_seed + self.repeats)

    def config(self, label: str | None = None) -> Config:
        """The configuration labelled `label` (default: the first)."""
        labels = [c.label for c in self.configs]
        if label is not None and label not in labels:
            raise HarcnnError(f"{self.path}: no configuration {label!r}; it has {labels}")
        return self.configs[labels.index(label) if label is not None else 0]

    def with_repeats(self, repeats: int, what: str = "repeats") -> Spec:
        """This study with `repeats` seeds, checked as a spec's own `repeats` is (the CLI's `--repeats` too)."""
        if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= MAX_REPEATS:
            raise HarcnnError(f"{self.path}: {what}: must be from 1 to {MAX_REPEATS}, got {repeats!r}")
        for c in self.configs:
            for key in ("cv_folds", "test_folds"):
                if getattr(c, key) and repeats % getattr(c, key):
                    raise HarcnnError(
                        f"{self.path}: {what}: must be a multiple of {key} ({getattr(c, key)}) so that every fold counts alike, got {repeats}"
                    )
        return replace(self, repeats=repeats)


def load_spec(path: str | Path, overrides: list[str] = (), repeats: int | None = None) -> Spec:
    """Read and check a spec file; every problem names the file and the key. `overrides` are training
    settings as `KEY=VALUE` (TOML values: `epochs=5`, `schedule="cosine"`), the CLI's `--set`, and
    `repeats` the CLI's `--repeats`, applied to the spec before it is checked, so they are checked
    exactly as the spec's own keys, together (`--set test_folds=23 --repeats 23`)."""
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
    except RecursionError:
        raise HarcnnError(f"{path}: nested too deeply to be a spec") from None
    for item in overrides:
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in SETTINGS:
            raise HarcnnError(f"--set {item}: {key!r} is not a training setting; they are {sorted(SETTINGS)}")
        if key in raw.get("grid", {}):
            raise HarcnnError(f"--set {item}: {path} varies {key} in its grid; edit the grid instead")
        try:
            raw[key] = tomllib.loads(f"v = {value}")["v"]
        except (tomllib.TOMLDecodeError, RecursionError):
            raise HarcnnError(f'--set {item[:60]}: {value[:40]!r} is not a TOML value (text needs quotes: schedule="cosine")') from None
    return parse_spec(raw, path, repeats)


def parse_spec(raw: dict, path: Path, repeats_override: int | None = None) -> Spec:
    def fail(key: str, problem: str) -> HarcnnError:
        return HarcnnError(f"{path}: {key}: {problem}")

    for key in raw:
        if key not in TOP:
            raise fail(key, f"unknown key; a spec may set {sorted(TOP)}")
    name = check_name(raw.get("name", path.stem), "name", f"{path}: name")
    if name.endswith(RESERVED_SUFFIXES):
        raise fail(
            "name",
            f"names ending in {' or '.join(map(repr, RESERVED_SUFFIXES))} are reserved for the studies of `harcnn select`, got {name!r}",
        )
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
        try:
            models.get(m)
        except HarcnnError as e:
            raise fail("model", str(e)) from None
    repeats = _typed(raw.get("repeats", 10), int, "repeats", fail)
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            raise fail(f"grid.{key}", "must be a non-empty list of values")
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > MAX_CONFIGS:
        raise fail("grid", f"has {size} configurations; at most {MAX_CONFIGS}")
    base = {k: raw[k] for k in SETTINGS if k in raw}
    check_settings(base, str(path))  # the base alone, so that its errors name the key as written
    configs = []
    for combo in itertools.product(*grid.values()):
        point = dict(zip(grid, combo))
        m = point.get("model", model)
        settings = {**base, **{k: v for k, v in point.items() if k in SETTINGS}}
        params = {**hparams, **{k: v for k, v in point.items() if k not in SETTINGS and k != "model"}}
        known = models.get(m).hyperparameters()
        for key, value in params.items():
            where = f"grid.{key}" if key in point else f"hparams.{key}"
            if key not in known:
                if key in point:
                    raise fail(where, f"not a training setting {sorted(SETTINGS)} nor a hyperparameter of {m} {sorted(known)}")
                raise fail(where, f"model {m!r} has no such hyperparameter; it has {sorted(known)}")
            params[key] = _typed(value, type(known[key]), where, fail)
            try:
                check_hyperparameter(m, key, params[key], known[key])
            except HarcnnError as e:
                raise fail(where, str(e)) from None
        settings = check_settings(settings, f"{path}: grid" if set(point) & set(SETTINGS) else str(path))
        if settings["join"]:
            try:
                models.get(m).check_joinable()
            except HarcnnError as e:
                raise fail("join", str(e)) from None
        label = ", ".join(f"{k}={_show(v)}" for k, v in point.items()) or name
        configs.append(Config(model=m, hparams=params, label=label, **settings))
    labels = [c.label for c in configs]
    if len(set(labels)) < len(labels):
        twice = next(x for x in labels if labels.count(x) > 1)
        raise fail("grid", f"names configuration [{twice}] twice; every value of a grid key must differ")
    reference = raw.get("reference")
    if reference is not None and reference not in labels:
        raise fail("reference", f"{reference!r} is not one of the configurations {labels}")
    choose = raw.get("choose", "best")
    if choose not in CHOOSE:
        raise fail("choose", f"must be one of {sorted(CHOOSE)}, got {choose!r}")
    spec = Spec(path, name, description, 1, configs, reference=reference, choose=choose)
    return spec.with_repeats(repeats) if repeats_override is None else spec.with_repeats(repeats_override, "--repeats")


def _typed(value, kind: type, key: str, fail):
    """A hyperparameter or spec value as the type of its default (numpy scalars as Python's)."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise fail(key, f"must be a list of whole numbers, got {value!r}")
        return tuple(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise fail(key, f"must be {kind.__name__}, got {value!r}")
    return value


def _show(value) -> str:
    return "-".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
