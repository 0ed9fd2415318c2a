"""Run a study: for every configuration, train the seeds not yet in the store as populations.

A study killed at any point resumes where it stopped: finished runs are in the store, and the
population in flight resumes from its last epoch checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from harcnn.data.windows import Dataset, WindowSet
from harcnn.experiments.executors import Executor, check_executor, default_workers, make_executor
from harcnn.experiments.jobs import Job, check_against_data, check_memory, members_per_chunk
from harcnn.experiments.progress import Progress
from harcnn.experiments.spec import Config, Spec
from harcnn.experiments.store import Run, Store


def missing_seeds(spec: Spec, dataset: Dataset, store: Store, study: str | None = None) -> list[tuple[Config, list[int]]]:
    """Each configuration's seeds not yet in the store as runs of `study` (default: the spec's; configurations with none left out)."""
    missing = []
    for config in spec.configs:
        done = store.seeds_done(study or spec.name, config.key, dataset.sha256)
        seeds = [s for s in spec.seeds if s not in done]
        if seeds:
            missing.append((config, seeds))
    return missing


def plan(
    study: str, missing: list[tuple[Config, list[int]]], train: WindowSet, workers: int = 1, scored: tuple[str, ...] = ("test",)
) -> list[Job]:
    """The jobs still to train (`missing`, from `missing_seeds`), in populations that fit in memory.

    With several workers and fewer configurations than workers, a configuration's seeds are split
    so that every worker has a population to train.
    """
    parts = max(1, -(-workers // max(1, len(missing))))
    jobs = []
    for config, seeds in missing:
        chunk = min(members_per_chunk(config, train), -(-len(seeds) // parts))
        folds = {s: (config.fold(s), config.test_fold(s)) for s in seeds}
        for fold in dict.fromkeys(folds.values()):
            mine = [s for s in seeds if folds[s] == fold]  # a population trains on one fold's subjects
            jobs += [Job(study, config, mine[i : i + chunk], scored) for i in range(0, len(mine), chunk)]
    return jobs


def run_study(
    spec: Spec,
    dataset: Dataset,
    store: Store,
    checkpoints: Path,
    *,
    echo: Callable[[str], None] = print,
    progress: bool = True,
    workers: int = 1,
    executor: str | Executor = "local",
    address: str | None = None,
    scored: tuple[str, ...] = ("test",),
) -> list[Run]:
    """Train every (configuration, seed) of `spec` missing from `store`; returns the runs made.

    `executor` is a name for `make_executor` ('local': this process with `workers=1`, else a pool
    of worker processes sharing the cores; 'inline', 'processes', 'ray') or an executor. Runs land
    in `store` as each job finishes, so an interruption loses at most the jobs in flight, and
    those resume from their epoch checkpoints. `scored`: the splits members are scored on
    (`jobs.Job`); a selection's candidates name the validation subjects, never the test split.
    """
    if isinstance(executor, str):
        check_executor(executor)
    data = dataset.train
    check_against_data(spec, data, len(np.unique(np.concatenate([data.subject, dataset.test.subject]))))
    store.set_study(spec.name, spec.description, spec.reference, spec.path.read_text(), [c.label for c in spec.configs])
    made: list[Run] = []
    missing = missing_seeds(
        spec, dataset, store, Job(spec.name, spec.configs[0], [], scored).study_of(scored[-1])
    )  # done: scored on every split
    check_memory([config for config, _ in missing], data, workers)
    if not missing:
        echo(f"{spec.name}: all {len(spec.configs) * spec.repeats} runs already in {store.path}")
        return made
    jobs = plan(spec.name, missing, data, default_workers(), scored)  # populations as on this machine by default, whatever --workers
    try:
        with Progress(jobs, progress, echo) as shown:
            if isinstance(executor, str):
                executor = make_executor(executor, dataset, checkpoints, workers, address, on_epoch=shown.tick)
            with executor:
                to_go = sum(len(u.seeds) for u in jobs)
                skipped = len(spec.configs) * spec.repeats - to_go
                if skipped:
                    shown.write(f"{spec.name}: {skipped} runs already in {store.path}, {to_go} to go")
                for job, runs in executor.run(jobs):
                    store.add(runs)
                    made += runs
                    (checkpoints / job.checkpoint_name).unlink(missing_ok=True)
                    shown.finished(job)
                    for run in runs:
                        if run.study == spec.name:  # the first split's; figures of a split scored on request are not shown
                            shown.write(f">[{job.config.label}] seed {run.seed}: {_scored_on(scored)}{100 * run.accuracy:.3f}%")
    except KeyboardInterrupt:
        echo(
            f"interrupted: {len(store.runs(spec.name))} runs of {spec.name} are in {store.path} ({len(made)} made now); "
            "the same command resumes where this one stopped"
        )
        raise
    return made


def _scored_on(scored: tuple[str, ...]) -> str:
    return "" if scored[0] == "test" else f"{scored[0]} "
