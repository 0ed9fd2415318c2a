"""Run a study's jobs on a Ray cluster (optional extra: `pip install "harcnn[ray]"`).

The dataset goes to the cluster's object store once; each job is a task that returns its runs,
which the driver writes to the store as they arrive, so the store can stay on the driver's disk.
Checkpoints are written by the workers to `checkpoints`, which must be one folder for all: on a
cluster named by its address, every node with CPUs is asked first whether it sees a file the driver
wrote there, and a node that does not refuses the study before anything trains (a job it ran
again could not resume, and its epochs would land on a disk no one reads).

A worker node lost mid-study costs only the jobs it was running: Ray runs them again on the nodes
left (RETRIES times); a job lost beyond that is reported once every other job has finished, its
runs left for the same command to train (the store's key keeps every run once).
"""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

from harcnn.data.windows import Dataset
from harcnn.errors import HarcnnError
from harcnn.experiments.jobs import Job, run_job
from harcnn.experiments.store import Run
from harcnn.extras import require

RETRIES = 3  # times Ray runs a job again whose worker or node died (Ray's own default for tasks)
LOST = (
    "WorkerCrashedError",
    "NodeDiedError",
    "LocalRayletDiedError",
    "ObjectLostError",
)  # ray.exceptions: a job lost with its worker, not failed


def _task(job: Job, dataset: Dataset, checkpoints: Path, threads: int, i: int, ticks) -> list[Run]:
    import torch

    torch.set_num_threads(threads)
    return run_job(job, dataset, checkpoints, lambda epoch, planned: ticks.put_nowait((i, planned)))


REACH_TIMEOUT_S = 120  # for every node to answer whether it sees the checkpoint folder (a fresh worker process starts first)


def _sees(probe: str, token: str) -> tuple[str, bool]:
    """On a node: its host name, and whether `probe` holds `token` there."""
    try:
        seen = Path(probe).read_text() == token
    except OSError:
        seen = False
    return socket.gethostname(), seen


def nodes_not_seeing(ray, probe: Path, token: str) -> list[str]:
    """The alive nodes with CPUs (host name and address) on which `probe` does not hold `token`."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [node for node in ray.nodes() if node["Alive"] and node["Resources"].get("CPU", 0) > 0]
    sees = ray.remote(num_cpus=0)(_sees)
    pinned = [NodeAffinitySchedulingStrategy(node["NodeID"], soft=False) for node in nodes]
    asked = [sees.options(scheduling_strategy=on).remote(str(probe), token) for on in pinned]
    ray.wait(asked, num_returns=len(asked), timeout=REACH_TIMEOUT_S)
    blind = []
    for node, answer in zip(nodes, asked):
        try:
            host, seen = ray.get(answer, timeout=0)
        except ray.exceptions.TaskUnschedulableError:  # the node left the cluster since it was listed: it runs no job
            continue
        if not seen:
            blind.append(f"{host} ({node['NodeManagerAddress']})")
    return blind


def check_checkpoints_reachable(ray, checkpoints: Path) -> None:
    """Refuse a checkpoint folder that some worker node does not share with the driver."""
    token = secrets.token_hex(16)
    checkpoints.mkdir(parents=True, exist_ok=True)
    probe = checkpoints.resolve() / f".reach-{token[:8]}"
    probe.write_text(token)
    try:
        blind = nodes_not_seeing(ray, probe, token)
    finally:
        probe.unlink(missing_ok=True)
    if blind:
        raise HarcnnError(
            f"{checkpoints.resolve()}: the checkpoint folder is not shared with the Ray node(s) {', '.join(blind)}; "
            "name a folder every node mounts at the same path (a shared file system) with --checkpoints"
        )


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
            ray.init(
                address=self.address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
            )  # no notes of connecting
        if self.address is not None:  # a cluster that may span hosts; a local instance is this host
            try:
                check_checkpoints_reachable(ray, self.checkpoints)
            except BaseException:
                self.__exit__()
                raise
        return self

    def __exit__(self, *exc) -> None:
        if self.started_here:
            self.ray.shutdown()

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, list[Run]]]:
        from ray.util.queue import Queue
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        ray = self.ray
        task = ray.remote(num_cpus=self.threads, max_retries=RETRIES)(_task)
        data_ref = ray.put(self.dataset)
        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
        ticks = Queue(
            actor_options={"num_cpus": 0, "scheduling_strategy": here}
        )  # on the driver's node: workers anywhere put their epoch ticks there
        pending = {task.remote(job, data_ref, self.checkpoints, self.threads, i, ticks): job for i, job in enumerate(jobs)}
        lost_with_worker = tuple(getattr(ray.exceptions, name) for name in LOST)
        lost = []
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.25)
            for i, planned in ticks.get_nowait_batch(ticks.qsize()) if ticks.qsize() else []:
                if self.on_epoch is not None:
                    self.on_epoch(i, planned)
            if done:
                job = pending.pop(done[0])
                try:
                    runs = ray.get(done[0])
                except lost_with_worker as e:
                    lost.append(e)
                    continue
                yield job, runs
        if lost:
            raise HarcnnError(
                f"{len(lost)} of {len(jobs)} jobs were lost with the Ray worker that ran them, after {RETRIES} retries "
                f"({type(lost[0]).__name__}); the other jobs' runs are in the store, and the same command trains the lost ones"
            )
