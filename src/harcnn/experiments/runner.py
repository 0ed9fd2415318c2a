"""Run a study: for every configuration, train the seeds not yet in the store as populations.

A study killed at any point resumes where it stopped: finished runs are in the store, and the
population in flight resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

import harcnn
from harcnn.data.splits import hold_out_subjects
from harcnn.data.transforms import Standardize
from harcnn.data.windows import Dataset, WindowSet, load_npz, save_npz
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


def default_workers() -> int:
    """One single-threaded worker per core on CPU: two processes of one thread trained 10 members
    of the tutorial CNN in 11.3 s per epoch here, one process of two threads in 13.8 s. One on a GPU."""
    return 1 if torch.cuda.is_available() else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Unit:
    """A piece of work: some seeds of one configuration, trained as one population."""

    study: str
    config: Config
    seeds: list[int]

    @property
    def checkpoint_name(self) -> str:
        return f"{self.study}-{self.config.key}-seeds{self.seeds[0]}-{self.seeds[-1]}.safetensors"


def missing_seeds(spec: Spec, dataset: Dataset, store: Store) -> list[tuple[Config, list[int]]]:
    """Each configuration's seeds not yet in the store (configurations with none left out)."""
    missing = []
    for config in spec.configs:
        done = store.seeds_done(spec.name, config.key, dataset.sha256)
        seeds = [s for s in range(spec.repeats) if s not in done]
        if seeds:
            missing.append((config, seeds))
    return missing


def plan(study: str, missing: list[tuple[Config, list[int]]], train: WindowSet, workers: int = 1) -> list[Unit]:
    """The units still to train (`missing`, from `missing_seeds`), in populations that fit in memory.

    With several workers and fewer configurations than workers, a configuration's seeds are split
    so that every worker has a population to train.
    """
    parts = max(1, -(-workers // max(1, len(missing))))
    units = []
    for config, seeds in missing:
        chunk = min(members_per_chunk(config, train), -(-len(seeds) // parts))
        units += [Unit(study, config, seeds[i : i + chunk]) for i in range(0, len(seeds), chunk)]
    return units


def run_unit(unit: Unit, dataset: Dataset, checkpoints: Path, on_epoch: Callable[[int], None] | None = None) -> list[Run]:
    """Train one unit and score its members on the test split; resumes from its checkpoint."""
    prepared = prepare(unit.config, dataset)
    return train_and_score(unit, prepared, dataset.sha256, checkpoints / unit.checkpoint_name, on_epoch)


def run_study(
    spec: Spec,
    dataset: Dataset,
    store: Store,
    checkpoints: Path,
    echo: Callable[[str], None] = print,
    progress: bool = True,
    workers: int = 1,
    executor: str = "local",
    address: str | None = None,
) -> None:
    """Train every (configuration, seed) of `spec` missing from `store`.

    `executor="local"` trains in this process (`workers=1`) or in a pool of worker processes that
    share the cores; `executor="ray"` sends the same units to a Ray cluster. Runs land in `store`
    as each unit finishes, so an interruption loses at most the units in flight, and those resume
    from their epoch checkpoints.
    """
    data = dataset.train
    check_against_data(spec, data.n_channels, len(data.classes), data.seq_len)
    store.set_study(spec.name, spec.description, spec.reference, spec.path.read_text())
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ExitStack() as stack:
        missing = missing_seeds(spec, dataset, store)
        local_pool = executor == "local" and workers > 1 and missing
        pool = stack.enter_context(process_pool(dataset, workers, threads)) if local_pool else None
        units = plan(spec.name, missing, dataset.train, workers)
        to_go = sum(len(u.seeds) for u in units)
        skipped = len(spec.configs) * spec.repeats - to_go
        if skipped:
            echo(f"{spec.name}: {skipped} runs already in {store.path}, {to_go} to go")
        total = sum(len(u.seeds) * u.config.epochs for u in units)
        bar = stack.enter_context(tqdm(total=total, unit="member-epoch", disable=not progress or not units, dynamic_ncols=True))
        if executor == "ray":
            from harcnn.experiments.ray_executor import execute_on_ray

            results = execute_on_ray(units, dataset, checkpoints, address, threads)
        elif pool is not None:
            results = execute_in_processes(units, pool, checkpoints)
        else:
            results = ((u, run_unit(u, dataset, checkpoints, lambda e, u=u: bar.update(len(u.seeds)))) for u in units)
        for unit, runs in results:
            store.add(runs)
            (checkpoints / unit.checkpoint_name).unlink(missing_ok=True)
            if executor == "ray" or workers > 1:
                bar.update(len(unit.seeds) * unit.config.epochs)
            for run in runs:
                bar.write(f">[{unit.config.label}] seed {run.seed}: {100 * run.accuracy:.3f}%")


@contextmanager
def process_pool(dataset: Dataset, workers: int, threads: int) -> Iterator[Executor]:
    """`workers` processes of `threads` threads each, started at once so that they import torch and
    read the dataset while the parent plans.

    Workers read the dataset from an npz file rather than receiving it pickled: the parent blocked
    on each new process until it had imported torch and read its copy through the pipe, which
    started the second worker 2 s after the first.
    """
    import multiprocessing
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    with tempfile.TemporaryDirectory(prefix="harcnn-") as tmp:
        data_file = Path(tmp) / "dataset.npz"
        save_npz(data_file, dataset)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(data_file, threads)) as pool:
            for _ in range(workers):
                pool.submit(int)  # each submission to a busy pool starts one more process
            yield pool


def execute_in_processes(units: list[Unit], pool: Executor, checkpoints: Path) -> Iterator[tuple[Unit, list[Run]]]:
    """Yield (unit, runs) as the pool's workers finish them."""
    from concurrent.futures import as_completed

    futures = {pool.submit(_worker_run_unit, unit, checkpoints): unit for unit in units}
    for future in as_completed(futures):
        yield futures[future], future.result()


_WORKER_DATASET: Dataset | None = None


def _init_worker(data_file: Path, threads: int) -> None:
    global _WORKER_DATASET
    _WORKER_DATASET = load_npz(data_file)
    torch.set_num_threads(threads)


def _worker_run_unit(unit: Unit, checkpoints: Path) -> list[Run]:
    return run_unit(unit, _WORKER_DATASET, checkpoints)


def train_and_score(
    unit: Unit, prepared: Prepared, data_sha256: str, checkpoint: Path, on_epoch: Callable[[int], None] | None
) -> list[Run]:
    config, seeds, train = unit.config, unit.seeds, prepared.train
    model = build(config.model, train.n_channels, len(train.classes), train.seq_len, members=len(seeds), **config.hparams)
    t0 = time.perf_counter()
    history = train_population(
        model,
        train,
        seeds,
        config.recipe,
        validation=prepared.validation,
        on_epoch=on_epoch and (lambda epoch, h: on_epoch(epoch)),
        checkpoint=checkpoint,
    )
    predictions = predict_logits(model, prepared.test.X).argmax(-1).cpu().numpy()
    wall = (time.perf_counter() - t0) / len(seeds)
    runs = []
    for r, seed in enumerate(seeds):
        m = classification_metrics(prepared.test.y, predictions[r], prepared.test.classes)
        runs.append(
            Run(
                study=unit.study, config_key=config.key, label=config.label, config=config.to_json(), seed=seed,
                data_sha256=data_sha256, accuracy=m["accuracy"], macro_f1=m["macro_f1"], per_class=m["per_class"],
                confusion=m["confusion"], curves=history.member(r), wall_s=wall,
                harcnn_version=harcnn.__version__, torch_version=torch.__version__,
            )
        )
    return runs
