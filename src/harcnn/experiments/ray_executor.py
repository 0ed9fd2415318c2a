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
from harcnn.errors import HarcnnError
from harcnn.experiments.runner import Unit, run_unit
from harcnn.experiments.store import Run


def _task(unit: Unit, dataset: Dataset, checkpoints: Path, threads: int) -> list[Run]:
    import torch

    torch.set_num_threads(threads)
    return run_unit(unit, dataset, checkpoints)


def execute_on_ray(units: list[Unit], dataset: Dataset, checkpoints: Path, address: str | None, threads: int) -> Iterator[tuple[Unit, list[Run]]]:
    """Yield (unit, runs) as tasks finish; `address=None` starts a local Ray instance."""
    try:
        import ray
    except ImportError:
        raise HarcnnError('the Ray executor needs Ray: pip install "harcnn[ray]"') from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=threads)(_task)
        data_ref = ray.put(dataset)
        pending = {task.remote(unit, data_ref, checkpoints, threads): unit for unit in units}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            unit = pending.pop(done[0])
            yield unit, ray.get(done[0])
    finally:
        if started_here:
            ray.shutdown()
