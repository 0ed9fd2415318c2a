"""Where jobs train: one interface, three executors.

An executor is a context manager whose `run(jobs)` yields `(job, runs)` as jobs finish, so the
runner can store each population's runs the moment they exist, and calls `on_epoch(i, epochs)` after
every epoch of `jobs[i]` (`epochs`: the epochs it plans, min_steps included) wherever it trains:
worker processes and Ray tasks send their ticks back through a queue. `inline` trains in this process,
`processes` in a pool of worker processes on this machine, `ray` on a Ray cluster
(`experiments.ray_executor`). `make_executor` is the one place that maps a name to one of them.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

import torch

from harcnn.choices import RUN_EXECUTORS
from harcnn.data.windows import Dataset, load_npz, save_npz
from harcnn.errors import HarcnnError
from harcnn.experiments.jobs import Job, run_job
from harcnn.experiments.store import Run


class Executor(Protocol):
    def __enter__(self) -> Executor: ...
    def __exit__(self, *exc) -> None: ...
    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, list[Run]]]: ...


def default_workers() -> int:
    """One single-threaded worker per core on CPU: two processes of one thread trained 10 members
    of the tutorial CNN in 11.3 s per epoch here, one process of two threads in 13.8 s. One on a GPU."""
    return 1 if torch.cuda.is_available() else max(1, os.cpu_count() or 1)


def population_threads() -> int:
    """The threads every population trains with, whatever `--workers` says: float32 sums depend on
    how work is split over threads, so a population's numbers would change with the number of
    workers (4 seeds of the tutorial CNN, 3 epochs: 89.90 +/- 0.69 % with one worker of two threads,
    90.10 +/- 0.90 with two of one). One worker per core is the default; `--workers` only says how
    many populations train at once."""
    return max(1, (os.cpu_count() or 1) // default_workers())


def check_executor(name: str) -> None:
    if name not in RUN_EXECUTORS:
        raise HarcnnError(f"unknown executor {name!r}; harcnn has {list(RUN_EXECUTORS)}")


Tick = Callable[[int, int], None]  # (index of the job in `run`'s list, its planned epochs), after each epoch


def make_executor(
    name: str, dataset: Dataset, checkpoints: Path, workers: int = 1, address: str | None = None, on_epoch: Tick | None = None
) -> Executor:
    """The executor called `name` ('inline', 'processes', 'ray'; 'local' picks inline or processes by `workers`)."""
    check_executor(name)
    if name == "local":
        name = "processes" if workers > 1 else "inline"
    if not isinstance(workers, int) or not 1 <= workers <= 256:
        raise HarcnnError(f"workers must be a whole number from 1 to 256, got {workers!r}")
    threads = population_threads()
    if name == "inline":
        return InlineExecutor(dataset, checkpoints, on_epoch, threads)
    if name == "processes":
        return ProcessExecutor(dataset, checkpoints, workers, threads, on_epoch)
    from harcnn.experiments.ray_executor import RayExecutor

    return RayExecutor(dataset, checkpoints, address, threads, on_epoch)


class InlineExecutor:
    """Jobs one after the other in this process."""

    def __init__(self, dataset: Dataset, checkpoints: Path, on_epoch: Tick | None = None, threads: int | None = None):
        self.dataset, self.checkpoints, self.on_epoch, self.threads = dataset, checkpoints, on_epoch, threads

    def __enter__(self) -> InlineExecutor:
        self._before = torch.get_num_threads()  # this process may be the user's: its setting comes back on exit
        if self.threads:
            torch.set_num_threads(self.threads)
        return self

    def __exit__(self, *exc) -> None:
        torch.set_num_threads(self._before)

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, list[Run]]]:
        for i, job in enumerate(jobs):
            tick = (lambda epoch, planned, i=i: self.on_epoch(i, planned)) if self.on_epoch else None
            yield job, run_job(job, self.dataset, self.checkpoints, tick)


class ProcessExecutor:
    """`workers` processes of `threads` threads each, started on entry so that they import torch and
    read the dataset while the parent plans.

    Workers read the dataset from an npz file rather than receiving it pickled: the parent blocked
    on each new process until it had imported torch and read its copy through the pipe, which
    started the second worker 2 s after the first. A worker ends when its parent dies (see
    `_init_worker`), so a killed `harcnn run` leaves no process behind.
    """

    def __init__(self, dataset: Dataset, checkpoints: Path, workers: int, threads: int, on_epoch: Tick | None = None):
        self.dataset, self.checkpoints, self.workers, self.threads, self.on_epoch = dataset, checkpoints, workers, threads, on_epoch
        self._stack = ExitStack()

    def __enter__(self) -> ProcessExecutor:
        tmp = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="harcnn-"))
        data_file = Path(tmp) / "dataset.npz"
        save_npz(data_file, self.dataset)
        context = multiprocessing.get_context("spawn")
        self.ticks = context.Queue()
        self.pool = self._stack.enter_context(
            ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_init_worker, initargs=(data_file, self.threads, os.getpid(), self.ticks)
            )
        )
        for _ in range(self.workers):
            self.pool.submit(int)  # each submission to a busy pool starts one more process
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is not None:  # interrupted or failed: stop the workers now, not after their populations finish
            for process in list((getattr(self.pool, "_processes", None) or {}).values()):
                process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
        self._stack.close()

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, list[Run]]]:
        futures = {self.pool.submit(_worker_run_job, job, self.checkpoints, i): job for i, job in enumerate(jobs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=TICK_WAIT, return_when=FIRST_COMPLETED)
            self._forward_ticks()
            for future in done:
                yield futures[future], future.result()

    def _forward_ticks(self) -> None:
        while True:
            try:
                i, planned = self.ticks.get_nowait()
            except queue.Empty:
                return
            if self.on_epoch is not None:
                self.on_epoch(i, planned)


TICK_WAIT = 0.25  # seconds between looks at the workers' epoch ticks
_WORKER_DATASET: Dataset | None = None
_WORKER_TICKS = None


def _init_worker(data_file: Path, threads: int, parent: int, ticks) -> None:
    from harcnn.resources import keep_freed_memory

    global _WORKER_DATASET, _WORKER_TICKS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent stops the workers
    _WORKER_TICKS = ticks
    end_with_parent(parent)
    keep_freed_memory()  # a worker is harcnn's own process
    _WORKER_DATASET = load_npz(data_file)
    torch.set_num_threads(threads)


def end_with_parent(parent: int) -> None:
    """Make this process end when `parent` dies, however it dies (kill -9 included).

    Linux: the kernel sends SIGKILL on the parent's death (PR_SET_PDEATHSIG); the check after the
    call closes the race of a parent that died before it. Elsewhere a daemon thread polls the
    parent's pid once a second.
    """
    import ctypes
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() != parent:
                os._exit(1)
            return
        except OSError:
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _worker_run_job(job: Job, checkpoints: Path, i: int) -> list[Run]:
    return run_job(job, _WORKER_DATASET, checkpoints, lambda epoch, planned: _WORKER_TICKS.put((i, planned)))
