"""A unit of work: some seeds of one configuration, trained as one population and scored.

Everything an executor runs is here, so executors (inline, worker processes, Ray) import this
module and the runner imports them, with no cycle.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import harcnn
from harcnn.data.transforms import Standardize
from harcnn.data.windows import Dataset, WindowSet
from harcnn.errors import HarcnnError
from harcnn.experiments.spec import Config
from harcnn.experiments.store import Run
from harcnn.metrics import classification_metrics
from harcnn.models import build, is_baseline
from harcnn.models.baselines import fit_predict_proba
from harcnn.models.baselines import memory_bytes as baseline_memory_bytes
from harcnn.names import safe_filename
from harcnn.train.fit import Split, fit_population, split
from harcnn.train.population import EVAL_BATCH, predict_logits

MEMORY_BUDGET = 4 << 30  # bytes a population may use; larger ones train in chunks


@dataclass(frozen=True)
class Prepared:
    """A configuration's data: what it trains on, validates on and is tested on, after its transform."""

    train: WindowSet
    validation: WindowSet | None
    test: WindowSet
    transform: Standardize | None

    @property
    def split(self) -> Split:
        return Split(self.train, self.validation, self.transform)


def prepare(config: Config, dataset: Dataset, fold: int | None = None) -> Prepared:
    """The splits of `config` (for cross-validation: of fold `fold`), standardised on what trains."""
    s = split(config.settings, dataset.train, fold)
    return Prepared(s.train, s.validation, s.transform(dataset.test) if s.transform else dataset.test, s.transform)


def member_bytes(config: Config, data: WindowSet) -> int:
    """Memory one member needs, estimated on the meta device (nothing is allocated): weights, their
    gradient and Adam's two moments; four times every layer's output for a training batch (kept for
    the backward pass, its gradient, and the copies that concatenations and masks make); and four
    times the largest layer output of an evaluation batch (evaluation keeps only a layer's input,
    output and a shortcut). Against the peak RSS of a population here (ResNet, 10 members: 1.3 GB;
    multi-head, 10: 1.4 GB; InceptionTime, 5: 1.8 GB) that overestimates by 1.05-2x; the old bound,
    every activation of an evaluation batch, overestimated ResNet tenfold and split its populations
    into threes. For a
    baseline: its features of every training window, twice, in float64."""
    if is_baseline(config.model):
        return baseline_memory_bytes(config.model, config.hparams, len(data))
    with torch.device("meta"):
        model = build(config.model, data.n_channels, len(data.classes), data.seq_len, **config.hparams)
        sizes = []  # every layer's output for one window
        hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.numel())) for m in model.modules() if not list(m.children())]
        with torch.no_grad():
            model.eval()(torch.zeros(1, 1, data.n_channels, data.seq_len))
    for h in hooks:
        h.remove()
    weights = 4 * sum(p.numel() for p in model.parameters())
    return 4 * (weights + 4 * sum(sizes) * config.batch_size + 4 * max(sizes) * min(EVAL_BATCH, len(data)))


def members_per_chunk(config: Config, data: WindowSet, budget: int = MEMORY_BUDGET) -> int:
    """How many members fit in `budget` (a baseline trains one seed at a time)."""
    return 1 if is_baseline(config.model) else max(1, budget // member_bytes(config, data))


def check_memory(configs: list[Config], data: WindowSet, workers: int, members: int = 1) -> None:
    """Refuse, before anything trains, a configuration of which `members` members cannot fit in a worker's share of memory."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 1 << 40
    share = total // max(1, workers)
    for config in configs:
        need = members * member_bytes(config, data)
        if need > share:
            raise HarcnnError(
                f"configuration [{config.label}]: {members} member(s) need about {need / 2**30:.1f} GiB, but each of {workers} "
                f"worker(s) has {share / 2**30:.1f} GiB of this machine's {total / 2**30:.1f} GiB; use a smaller model or fewer workers"
            )


@dataclass(frozen=True)
class Unit:
    """A piece of work: some seeds of one configuration, trained as one population."""

    study: str
    config: Config
    seeds: list[int]

    @property
    def checkpoint_name(self) -> str:
        return f"{safe_filename(self.study)}-{self.config.key}-seeds{self.seeds[0]}-{self.seeds[-1]}.safetensors"


def run_unit(unit: Unit, dataset: Dataset, checkpoints: Path, on_epoch: Callable[[int], None] | None = None) -> list[Run]:
    """Train one unit and score its members on the test split; resumes from its checkpoint."""
    prepared = prepare(unit.config, dataset, unit.config.fold(unit.seeds[0]))
    return train_and_score(unit, prepared, dataset.sha256, checkpoints / unit.checkpoint_name, on_epoch)


def train_and_score(
    unit: Unit, prepared: Prepared, data_sha256: str, checkpoint: Path, on_epoch: Callable[[int], None] | None
) -> list[Run]:
    config, seeds = unit.config, unit.seeds
    if is_baseline(config.model):
        return _baseline_runs(unit, prepared, data_sha256)
    fitted = fit_population(
        config.model, config.hparams, config.settings, prepared.split, seeds,
        on_epoch=on_epoch and (lambda epoch, h: on_epoch(epoch)), checkpoint=checkpoint,
    )  # fmt: skip
    t0 = time.perf_counter()
    logits = predict_logits(fitted.net, prepared.test.X)
    wall = (fitted.wall_s + time.perf_counter() - t0) / len(seeds)
    curves = [fitted.history.member(r) for r in range(len(seeds))]
    return _runs(unit, prepared, data_sha256, logits.softmax(-1).cpu().numpy(), curves, wall)


def _baseline_runs(unit: Unit, prepared: Prepared, data_sha256: str) -> list[Run]:
    """A baseline's runs: each seed fitted on its own; curves hold the validation accuracy only."""
    probabilities, curves, t0 = [], [], time.perf_counter()
    for seed in unit.seeds:
        sets = [prepared.test.X] + ([prepared.validation.X] if prepared.validation is not None else [])
        out = fit_predict_proba(unit.config.model, unit.config.hparams, prepared.train, seed, torch.get_num_threads(), *sets)
        probabilities.append(out[0])
        validation = [float((out[1].argmax(1) == prepared.validation.y).mean())] if prepared.validation is not None else []
        curves.append({"train_loss": [], "train_accuracy": [], "val_loss": [], "val_accuracy": validation, "epoch_seconds": []})
    wall = (time.perf_counter() - t0) / len(unit.seeds)
    return _runs(unit, prepared, data_sha256, np.stack(probabilities), curves, wall)


def _runs(unit: Unit, prepared: Prepared, data_sha256: str, proba: np.ndarray, curves: list[dict], wall: float) -> list[Run]:
    """Score members' test probabilities `(R, n, classes)` and their mean-probability ensemble as runs."""
    config, seeds = unit.config, unit.seeds
    predictions = proba.argmax(-1)
    ensemble = float((proba.mean(0).argmax(-1) == prepared.test.y).mean())
    runs = []
    for r, seed in enumerate(seeds):
        m = classification_metrics(prepared.test.y, predictions[r], prepared.test.classes)
        runs.append(
            Run(
                study=unit.study,
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
            )
        )
    return runs
