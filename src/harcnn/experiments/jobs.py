"""A job: some seeds of one configuration, trained as one population and scored.

Everything an executor runs is here, so executors (inline, worker processes, Ray) import this
module and the runner imports them, with no cycle.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

import harcnn
from harcnn import models
from harcnn.data.splits import split_test_fold
from harcnn.data.windows import Dataset, WindowSet
from harcnn.errors import HarcnnError
from harcnn.experiments.spec import Config, Spec
from harcnn.experiments.store import Run
from harcnn.metrics import classification_metrics, per_subject
from harcnn.models import joined
from harcnn.names import safe_filename
from harcnn.resources import check_fits
from harcnn.train.augment import Augmenter
from harcnn.train.fit import Split, split, train_and_predict

MEMORY_BUDGET = 4 << 30  # bytes a population may use; larger ones train in chunks


@dataclass(frozen=True)
class Prepared(Split):
    """A configuration's `Split` and its test windows, after the same transform and as given."""

    test: WindowSet
    given_test: WindowSet | None = field(default=None, kw_only=True)


def prepare(config: Config, dataset: Dataset, seed: int = 0) -> Prepared:
    """The splits member `seed` of `config` trains, validates and is tested on (its cross-validation
    fold, its test fold), standardised on what trains."""
    train, test = split_test_fold(dataset, config.test_folds, config.test_fold(seed), config.split_seed)
    s = split(config.settings, train, config.fold(seed))
    return Prepared(
        s.train, s.validation, s.transform, s.transform(test) if s.transform else test,
        given_train=s.given_train, given_validation=s.given_validation, given_test=test,
    )  # fmt: skip


def member_bytes(config: Config, data: WindowSet) -> int:
    """Memory one member (one seed) of `config` needs on `data` (its registry entry's estimate, which
    builds it: a shape it cannot take is refused here). Kept per configuration and data shape, so that
    the preflight, the memory check and the plan build each configuration once."""
    shape = (data.n_channels, len(data.classes), data.seq_len, len(data))
    return _member_bytes(config.model, json.dumps(config.hparams, sort_keys=True), shape, config.batch_size)


@functools.lru_cache(maxsize=1024)
def _member_bytes(model: str, hparams: str, shape: tuple[int, int, int, int], batch_size: int) -> int:
    return models.get(model).member_bytes(json.loads(hparams), *shape, batch_size)


def check_against_data(spec: Spec, train: WindowSet, subjects: int | None = None) -> None:
    """Build every configuration once (one member, on the meta device: no memory) so impossible
    shapes fail before training, its memory estimate kept for the memory check and the plan, and check that the training subjects can be split as asked (a
    rotation of data without x/y/z channels is a note, `HarcnnWarning`, here). `subjects`: how many
    the dataset has in all (test folds pool them)."""
    n_subjects = len(np.unique(train.subject))
    for config in spec.configs:
        Augmenter(config.recipe, train.channels)  # what training builds: its notes, before anything trains
        for key, most, what in (
            ("validation_subjects", n_subjects - 1, "the training split"),
            ("cv_folds", n_subjects, "the training split"),
            ("test_folds", subjects or n_subjects, "the dataset"),
        ):
            if getattr(config, key) > most:
                raise HarcnnError(
                    f"{spec.path}: configuration [{config.label}]: {key} = {getattr(config, key)}, but {what} has {most + (key == 'validation_subjects')} subjects"
                )
    for config in spec.configs:
        try:
            member_bytes(config, train)
            joined.check(config.join, (train.n_channels, len(train.classes), train.seq_len))
        except (HarcnnError, ValueError) as e:
            raise HarcnnError(f"{spec.path}: configuration [{config.label}]: {e}") from None


def members_per_chunk(config: Config, data: WindowSet, budget: int = MEMORY_BUDGET) -> int:
    """How many members train together in `budget` (its registry entry decides)."""
    return models.get(config.model).members_in(budget, member_bytes(config, data))


def check_memory(configs: list[Config], data: WindowSet, workers: int, members: int = 1) -> None:
    """Refuse, before anything trains, a configuration of which `members` members cannot fit in a worker's share of memory."""
    for config in configs:
        check_fits(
            members * member_bytes(config, data), f"configuration [{config.label}]: {members} member(s)",
            "use a smaller model or fewer workers", share=workers,
        )  # fmt: skip


@dataclass(frozen=True)
class Job:
    """A piece of work: some seeds of one configuration, trained as one population."""

    study: str
    config: Config
    seeds: list[int]
    scored: tuple[str, ...] = (
        "test",
    )  # the splits its members are scored on: the first's runs go to `study`, another's to `study-<split>`

    def study_of(self, split: str) -> str:
        return self.study if split == self.scored[0] else f"{self.study}-{split}"

    @property
    def checkpoint_name(self) -> str:
        return f"{safe_filename(self.study)}-{self.config.key}-seeds{self.seeds[0]}-{self.seeds[-1]}.safetensors"


def run_job(job: Job, dataset: Dataset, checkpoints: Path, on_epoch: Callable[[int, int], None] | None = None) -> list[Run]:
    """Train one job and score its members on the splits it names (the test split, or for a
    selection's candidates the validation subjects); resumes from its checkpoint. A split it does not
    name is never predicted on."""
    prepared = prepare(job.config, dataset, job.seeds[0])
    sets = {"test": prepared.test, "validation": prepared.validation}
    if sets[job.scored[0]] is None:
        raise HarcnnError(f"configuration [{job.config.label}] holds no subjects out to be scored on")
    config = job.config
    given = {"test": prepared.given_test, "validation": prepared.given_validation}
    proba, curves, wall = train_and_predict(
        config.model,
        config.hparams,
        config.settings,
        prepared,
        job.seeds,
        np.concatenate([sets[s].X for s in job.scored]),
        on_epoch=on_epoch,
        checkpoint=checkpoints / job.checkpoint_name,
        given=np.concatenate([given[s].X for s in job.scored]),
    )
    runs, start = [], 0
    for name in job.scored:
        n = len(sets[name])
        runs += _runs(job, name, sets[name], dataset.sha256, proba=proba[:, start : start + n], curves=curves, wall=wall)
        start += n
    return runs


def _runs(job: Job, name: str, scored: WindowSet, data_sha256: str, *, proba: np.ndarray, curves: list[dict], wall: float) -> list[Run]:
    """Score members' probabilities `(R, n, classes)` on the windows `scored` and their mean-probability ensemble as runs."""
    config, seeds = job.config, job.seeds
    predictions = proba.argmax(-1)
    ensemble = float((proba.mean(0).argmax(-1) == scored.y).mean())
    runs = []
    for r, seed in enumerate(seeds):
        m = classification_metrics(scored.y, predictions[r], scored.classes)
        subjects = per_subject(scored, predictions[r])
        runs.append(
            Run(
                study=job.study_of(name),
                config_key=config.key,
                label=config.label,
                config=config.to_json(),
                seed=seed,
                data_sha256=data_sha256,
                accuracy=m["accuracy"],
                macro_f1=m["macro_f1"],
                per_class=m["per_class"],
                confusion=m["confusion"],
                curves=curves[r],
                wall_s=wall,
                harcnn_version=harcnn.__version__,
                torch_version=torch.__version__,
                ensemble_accuracy=ensemble,
                ensemble_size=len(seeds),
                per_subject=subjects,
            )
        )
    return runs
