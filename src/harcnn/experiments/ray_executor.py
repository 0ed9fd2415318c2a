"""Run a study's jobs on a Ray cluster (optional extra: `pip install "harcnn[ray]"`).

The dataset goes to the cluster's object store once; each job is a task that returns its runs,
which the driver writes to the store as they arrive, so the store can stay on the driver's disk.
Checkpoints are written by the workers to `checkpoints`, which resumes a job only when that
folder is shared with the workers (always so on a single machine).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from harcnn.data.windows import Dataset
from harcnn.experiments.jobs import Job, run_job
from harcnn.experiments.store import Run
from harcnn.extras import require


def _task(job: Job, dataset: Dataset, checkpoints: Path, threads: int, i: int, ticks) -> list[Run]:
    import torch

    torch.set_num_threads(threads)
    return run_job(job, dataset, checkpoints, lambda epoch, planned: ticks.put_nowait((i, planned)))


class RayExecutor:
    """Jobs as Ray tasks; `address=None` starts a local Ray instance for the duration."""

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

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, list[Run]]]:
        from ray.util.queue import Queue

        ray = self.ray
        task = ray.remote(num_cpus=self.threads)(_task)
        data_ref = ray.put(self.dataset)
        ticks = Queue()  # an actor: workers on any node put their epoch ticks there
        pending = {task.remote(job, data_ref, self.checkpoints, self.threads, i, ticks): job for i, job in enumerate(jobs)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.25)
            for i, planned in ticks.get_nowait_batch(ticks.qsize()) if ticks.qsize() else []:
                if self.on_epoch is not None:
                    self.on_epoch(i, planned)
            if done:
                job = pending.pop(done[0])
                yield job, ray.get(done[0])
