"""A study's progress as a user reads it: on a terminal, one bar of the epochs still to train, every
seed's counted, with the time left; elsewhere (a log file, a pipe) no bar at all, only the plain lines
of finished runs, so a log holds no carriage returns."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from tqdm import tqdm

from harcnn.experiments.jobs import Job


def _terminal_width() -> int:
    """The terminal's columns, 0 where it does not say (a pseudo-terminal of no size: tqdm would draw nothing)."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return 0


class Progress:
    def __init__(self, jobs: list[Job], enabled: bool, echo: Callable[[str], None]):
        self.jobs, self.echo = jobs, echo
        self.planned = [u.config.epochs for u in jobs]  # per seed; a job's first tick says what min_steps made of it
        self.done = [0] * len(jobs)
        seeds = sum(len(u.seeds) for u in jobs)
        width = _terminal_width()
        self.bar = tqdm(
            total=sum(p * len(u.seeds) for p, u in zip(self.planned, jobs)),
            desc=f"epochs of {seeds} seed{'s' * (seeds != 1)}",
            unit="",
            disable=not (enabled and sys.stderr.isatty()),
            dynamic_ncols=bool(width),
            ncols=None if width else 80,
            nrows=None if width else 24,
            file=sys.stderr,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]",
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()

    def tick(self, i: int, planned: int) -> None:
        """Job i trained one more epoch of `planned`."""
        seeds = len(self.jobs[i].seeds)
        if planned != self.planned[i]:
            self.bar.total += (planned - self.planned[i]) * seeds
            self.planned[i] = planned
        self.done[i] += 1
        self.bar.update(seeds)

    def finished(self, job: Job) -> None:
        """A job is done: its epochs count in full (early stopping ends some sooner; peers have none)."""
        i = next(k for k, u in enumerate(self.jobs) if u is job)
        self.bar.update(max(0, self.planned[i] - self.done[i]) * len(job.seeds))
        self.done[i] = self.planned[i]

    def write(self, line: str) -> None:
        if self.bar.disable:
            self.echo(line)
        else:
            self.bar.write(line, file=sys.stdout)  # results on stdout, as without a bar; tqdm clears its line on the shared terminal
