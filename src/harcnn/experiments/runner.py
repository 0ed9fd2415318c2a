"""Run a study: for every configuration, train the seeds not yet in the store as populations.

A study killed at any point resumes where it stopped: finished runs are in the store, and the
population in flight resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

import harcnn
from harcnn.data.splits import hold_out_subjects
from harcnn.data.transforms import Standardize
from harcnn.data.windows import Dataset, WindowSet
from harcnn.experiments.spec import Config, Spec, check_against_data
from harcnn.experiments.store import Run, Store
from harcnn.metrics import classification_metrics
from harcnn.models import build
from harcnn.train.population import EVAL_BATCH, predict_logits, train_population

MEMORY_BUDGET = 4 << 30  # bytes a population may use; larger ones train in chunks


@dataclass(frozen=True)
class Prepared:
    """A configuration's data: what it trains on, validates on and is tested on, after its transform."""

    train: WindowSet
    validation: WindowSet | None
    test: WindowSet
    transform: Standardize | None


def prepare(config: Config, dataset: Dataset, split_seed: int = 0) -> Prepared:
    train, validation = dataset.train, None
    if config.validation_subjects:
        train, validation = hold_out_subjects(train, config.validation_subjects, split_seed)
    transform = Standardize.fit(train) if config.standardize else None
    if transform is None:
        return Prepared(train, validation, dataset.test, None)
    return Prepared(transform(train), validation and transform(validation), transform(dataset.test), transform)


def members_per_chunk(config: Config, data: WindowSet, budget: int = MEMORY_BUDGET) -> int:
    """How many members fit in `budget`: measured activations of one member on an evaluation batch."""
    model = build(config.model, data.n_channels, len(data.classes), data.seq_len, **config.hparams)
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.numel())) for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model.eval()(torch.zeros(1, min(EVAL_BATCH, len(data)), data.n_channels, data.seq_len))
    for h in hooks:
        h.remove()
    per_member = 4 * (4 * sum(p.numel() for p in model.parameters()) + 3 * sum(sizes))
    return max(1, budget // per_member)


def run_study(
    spec: Spec,
    dataset: Dataset,
    store: Store,
    checkpoints: Path,
    echo: Callable[[str], None] = print,
    progress: bool = True,
) -> None:
    """Train every (configuration, seed) of `spec` missing from `store`."""
    data = dataset.train
    check_against_data(spec, data.n_channels, len(data.classes), data.seq_len)
    store.set_study(spec.name, spec.description, spec.reference, spec.path.read_text())
    todo = []
    for config in spec.configs:
        done = store.seeds_done(spec.name, config.key, dataset.sha256)
        todo.append((config, [s for s in range(spec.repeats) if s not in done]))
    total = sum(len(seeds) * config.epochs for config, seeds in todo)
    skipped = len(spec.configs) * spec.repeats - sum(len(seeds) for _, seeds in todo)
    if skipped:
        echo(f"{spec.name}: {skipped} runs already in {store.path}, {total and sum(len(s) for _, s in todo)} to go")
    with tqdm(total=total, unit="member-epoch", disable=not progress, dynamic_ncols=True) as bar:
        for config, seeds in todo:
            if not seeds:
                continue
            prepared = prepare(config, dataset)
            chunk = members_per_chunk(config, prepared.train)
            for start in range(0, len(seeds), chunk):
                part = seeds[start : start + chunk]
                bar.set_description(f"{spec.name} [{config.label}] seeds {part[0]}-{part[-1]}")
                runs = train_and_score(spec.name, config, part, prepared, dataset.sha256, checkpoints, bar)
                store.add(runs)
                (checkpoints / f"{spec.name}-{config.key}.safetensors").unlink(missing_ok=True)
                for run in runs:
                    bar.write(f">[{config.label}] seed {run.seed}: {100 * run.accuracy:.3f}%")


def train_and_score(
    study: str, config: Config, seeds: list[int], prepared: Prepared, data_sha256: str, checkpoints: Path, bar: tqdm
) -> list[Run]:
    train = prepared.train
    model = build(config.model, train.n_channels, len(train.classes), train.seq_len, members=len(seeds), **config.hparams)
    t0 = time.perf_counter()
    history = train_population(
        model,
        train,
        seeds,
        config.recipe,
        validation=prepared.validation,
        on_epoch=lambda epoch, h: bar.update(len(seeds)),
        checkpoint=checkpoints / f"{study}-{config.key}.safetensors",
    )
    predictions = predict_logits(model, prepared.test.X).argmax(-1).cpu().numpy()
    wall = (time.perf_counter() - t0) / len(seeds)
    runs = []
    for r, seed in enumerate(seeds):
        m = classification_metrics(prepared.test.y, predictions[r], prepared.test.classes)
        runs.append(
            Run(
                study=study, config_key=config.key, label=config.label, config=config.to_json(), seed=seed,
                data_sha256=data_sha256, accuracy=m["accuracy"], macro_f1=m["macro_f1"], per_class=m["per_class"],
                confusion=m["confusion"], curves=history.member(r), wall_s=wall,
                harcnn_version=harcnn.__version__, torch_version=torch.__version__,
            )
        )
    return runs
