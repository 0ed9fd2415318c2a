"""The one training path: hold subjects out, standardise, build, train. A study's unit and
`HARClassifier.fit` both call `fit_population`, so a notebook fit and a study's member with the same
settings and seeds are the same model; `train_and_predict` runs any registered model, CNN or peer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from harcnn import models
from harcnn.data.splits import fold_of, hold_out_fold, hold_out_subjects
from harcnn.data.transforms import Standardize
from harcnn.data.windows import WindowSet
from harcnn.models import FitRequest, build, joined
from harcnn.models.layers import PopulationModel
from harcnn.train.population import History, train_population
from harcnn.train.recipe import Recipe

Teacher = Callable[[np.ndarray], np.ndarray]  # raw windows (n, c, t) -> class probabilities (n, classes)


@dataclass(frozen=True)
class Split:
    """What a population trains and validates on, after its standardisation (fitted on `train`), a
    teacher's class probabilities of the training windows where one teaches (distillation), and both
    sets as they were given (what joined peers read: `models.joined`)."""

    train: WindowSet
    validation: WindowSet | None
    transform: Standardize | None
    soft_targets: np.ndarray | None = field(default=None, kw_only=True)  # keyword-only: subclasses add fields
    given_train: WindowSet | None = field(default=None, kw_only=True)
    given_validation: WindowSet | None = field(default=None, kw_only=True)


def split(
    settings: dict, train: WindowSet, fold: int | None = None, *, validation: WindowSet | None = None, teacher: Teacher | None = None
) -> Split:
    """Hold out `validation_subjects` (or fold `fold` of `cv_folds`) of `train` unless `validation` is
    given, then standardise both on what trains, if `standardize`. Subjects are drawn with `split_seed`, the same
    for every member. A `teacher` sees the training windows as they were given, before standardisation."""
    if validation is None and settings["validation_subjects"]:
        train, validation = hold_out_subjects(train, settings["validation_subjects"], settings["split_seed"])
    elif validation is None and settings["cv_folds"]:
        train, validation = hold_out_fold(train, settings["cv_folds"], fold, settings["split_seed"])
    soft = None if teacher is None else teacher(train.X)
    transform = Standardize.fit(train) if settings["standardize"] else None
    given = {"soft_targets": soft, "given_train": train, "given_validation": validation}
    if transform is None:
        return Split(train, validation, None, **given)
    return Split(transform(train), validation and transform(validation), transform, **given)


@dataclass(frozen=True)
class Fitted:
    net: PopulationModel
    history: History
    transform: Standardize | None
    wall_s: float  # training time of the whole population


def fit_population(
    model: str,
    hparams: dict,
    settings: dict,
    data: WindowSet | Split,
    seeds: list[int],
    *,
    validation: WindowSet | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
    checkpoint: Path | None = None,
    teacher: Teacher | None = None,
) -> Fitted:
    """Train `seeds` of registered `model` as one population with checked `settings` (`harcnn.settings`).

    `data` is the training windows (split here, cross-validation on fold `seeds[0] % cv_folds`) or a
    `Split` already made. With a `teacher` every member fits its probabilities instead of the labels."""
    if isinstance(data, WindowSet):
        fold = fold_of(seeds[0], settings["cv_folds"])
        data = split(settings, data, fold, validation=validation, teacher=teacher)
    elif teacher is not None:
        raise ValueError("a teacher reads the training windows before standardisation: give them, not a Split")
    net = build(model, data.train.n_channels, len(data.train.classes), data.train.seq_len, members=len(seeds), **hparams)
    t0 = time.perf_counter()
    history = trainer(settings, data, seeds, on_epoch=on_epoch, checkpoint=checkpoint)(net)
    return Fitted(net, history, data.transform, time.perf_counter() - t0)


def trainer(
    settings: dict,
    data: Split,
    seeds: list[int],
    *,
    on_epoch: Callable[[int, History], None] | None = None,
    checkpoint: Path | None = None,
) -> Callable[[PopulationModel], History]:
    """What trains a built population of `seeds` on `data` with `settings`: the one call of
    `train_population` (the registry's networks are handed it, models knowing nothing of training)."""
    recipe = Recipe.from_settings(settings).for_windows(len(data.train))

    def train(net: PopulationModel) -> History:
        return train_population(
            net, data.train, seeds, recipe, validation=data.validation, on_epoch=on_epoch, checkpoint=checkpoint,
            standardized=data.transform, soft_targets=data.soft_targets,
        )  # fmt: skip

    return train


def train_and_predict(
    model: str,
    hparams: dict,
    settings: dict,
    data: Split,
    seeds: list[int],
    X: np.ndarray,
    *,
    on_epoch: Callable[[int, int], None] | None = None,
    checkpoint: Path | None = None,
    scores: bool = False,
    given: np.ndarray | None = None,
) -> tuple[np.ndarray, list[dict], float]:
    """Train `seeds` of any registered model on `data` and give every member's class probabilities
    (`scores`: class scores to calibrate, `FitRequest.scores`) for windows `X` `(R, n, classes)`, its
    curves, and the wall time per member. The registry's entry decides how its seeds fit (a CNN's as
    one population, trained here; a peer's one at a time). With `join`, each member is joined with
    peers (`models.joined`), which read `given`: windows `X` as given, before standardisation."""
    join = settings["join"]
    if join and (scores or given is None):
        raise ValueError("a joined CNN's peers read windows as given: pass `given`; its probabilities are calibrated: no `scores`")
    train = trainer(settings, data, seeds, on_epoch=on_epoch and (lambda e, h: on_epoch(e, h.epochs)), checkpoint=checkpoint)
    validation = None if data.validation is None else (data.validation.X, data.validation.y)
    request = FitRequest(
        data.train.X,
        data.train.y,
        len(data.train.classes),
        seeds,
        np.concatenate([data.validation.X, X]) if join else X,  # a joined CNN is weighed on the validation windows
        validation=validation,
        threads=torch.get_num_threads(),
        train_population=train,
        scores=scores or bool(join),  # a joined CNN's are calibrated
    )
    t0 = time.perf_counter()
    proba, curves = models.get(model).fit_predict_proba(hparams, request)
    if join:
        proba = _joined(join, data, seeds, proba, given)
    return proba, curves, (time.perf_counter() - t0) / len(seeds)


def _joined(names: tuple[str, ...], data: Split, seeds: list[int], cnn_scores: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Each member joined with peers `names` fitted from its seed, weighed on the validation windows
    (`models.joined`): member r's ensemble probabilities of windows `X` (as given) `(R, n, classes)`,
    from its CNN scores `cnn_scores[r]` of the validation windows and then of `X`."""
    n_val, n_classes = len(data.validation), len(data.train.classes)
    fit, held_out = (data.given_train.X, data.given_train.y), (data.given_validation.X, data.given_validation.y)
    out = []
    for r, seed in enumerate(seeds):
        peers, weights, temperatures = joined.fit_and_weigh(names, fit, held_out, cnn_scores[r : r + 1, :n_val], seed)
        out.append(joined.combine([cnn_scores[r : r + 1, n_val:], *joined.peer_scores(peers, X, n_classes)], weights, temperatures))
    return np.stack(out)
