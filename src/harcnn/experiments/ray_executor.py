"""Run a study's units on a Ray cluster (optional extra: `pip install "harcnn[ray]"`).

The dataset goes to the cluster's object store once; each unit is a task that returns its runs,
which the driver writes to the store as they arrive, so the store can stay on the driver's disk.
Checkpoints are written by the workers to `checkpoints`, which resumes a unit only when that
folder is shared with the workers (always so on a single machine).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from harcnn.data.windows import Dataset
from harcnn.experiments.store import Run
from harcnn.experiments.units import Unit, run_unit
from harcnn.extras import require


def _task(unit: Unit, dataset: Dataset, checkpoints: Path, threads: int, i: int, ticks) -> list[Run]:
    import torch

    torch.set_num_threads(threads)
    return run_unit(unit, dataset, checkpoints, lambda epoch, planned: ticks.put_nowait((i, planned)))


class RayExecutor:
    """Units as Ray tasks; `address=None` starts a local Ray instance for the duration."""

    def __init__(self, dataset: Dataset, checkpoints: Path, address: str | None, threads: int, on_epoch=None):
        self.dataset, self.checkpoints, self.address, self.threads, self.on_epoch = dataset, checkpoints, address, threads, on_epoch
        self.started_here = False

    def __enter__(self) -> RayExecutor:
        require("ray", "the Ray executor")
        import ray

        self.ray = ray
        self.started_here = not ray.is_initialized()
        if self.started_here:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
        return self

    def __exit__(self, *exc) -> None:
        if self.started_here:
            self.ray.shutdown()

    def run(self, units: list[Unit]) -> Iterator[tuple[Unit, list[Run]]]:
        from ray.util.queue import Queue

        ray = self.ray
        task = ray.remote(num_cpus=self.threads)(_task)
        data_ref = ray.put(self.dataset)
        ticks = Queue()  # an actor: workers on any node put their epoch ticks there
        pending = {task.remote(unit, data_ref, self.checkpoints, self.threads, i, ticks): unit for i, unit in enumerate(units)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.25)
            for i, planned in ticks.get_nowait_batch(ticks.qsize()) if ticks.qsize() else []:
                if self.on_epoch is not None:
                    self.on_epoch(i, planned)
            if done:
                unit = pending.pop(done[0])
                yield unit, ray.get(done[0])
