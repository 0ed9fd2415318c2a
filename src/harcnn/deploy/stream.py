"""Streaming prediction: samples in (stdin), an activity out every hop of the model's pipeline.

Causal filters with carried state, a buffer of one window, and a running mean over the last `k`
windows' probabilities: memory does not grow with the stream.

Input: one sample per line, the model's recording columns in its order (UCI HAR's models:
`ax,ay,az,gx,gy,gz`), optionally after a timestamp. A first line that names the columns (a time
column among them, in any order) sets their order. Samples must arrive at the pipeline's rate
(measured from the first window's timestamps where they are given); units are recognised on the
first window, as `harcnn predict` does for a file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TextIO

import numpy as np

from harcnn.data.recordings import Recording, seconds
from harcnn.data.sensors import TIME_COLUMNS
from harcnn.data.units import for_model, to_canonical
from harcnn.deploy.predict import check_smooth, model_pipeline
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier
from harcnn.outputs import is_number

MAX_LINE = 4096  # characters in one line of samples: a timestamp and a few dozen numbers need far fewer


class _Columns:
    """Which field of a line is which column: from a header, else by count (the columns, or time first)."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.columns = columns
        self.index: list[int] | None = None
        self.time: int | None = None
        self.width: int | None = None

    def header(self, fields: list[str]) -> None:
        names = [f.strip().lower() for f in fields]
        missing = [c for c in self.columns if c.lower() not in names]
        if missing:
            raise HarcnnError(
                f"stdin line 1: the header lacks column(s) {missing}; expected {', '.join(self.columns)} (a time column optional)"
            )
        self.index = [names.index(c.lower()) for c in self.columns]
        self.time = next((names.index(t) for t in TIME_COLUMNS if t in names), None)
        self.width = len(names)

    def parse(self, fields: list[str], line: str, number: int) -> tuple[float | None, np.ndarray]:
        try:
            values = np.array([float(v) for v in fields])
        except ValueError:
            values = None
        c = len(self.columns)
        if self.width is None and values is not None and len(values) in (c, c + 1):
            self.width, self.time = len(values), (0 if len(values) == c + 1 else None)
            self.index = list(range(len(values) - c, len(values)))
        if values is None or len(values) != self.width or not np.isfinite(values).all():
            want = (
                f"{self.width} numbers as the header names"
                if self.width
                else f"{c} numbers {','.join(self.columns)} (optionally after a timestamp)"
            )
            raise HarcnnError(f"stdin line {number}: expected {want}, got {line.strip()!r}")
        return (values[self.time] if self.time is not None else None), values[self.index]


def read_samples(lines: Iterable[str], columns: tuple[str, ...]) -> Iterator[tuple[float | None, np.ndarray]]:
    """(timestamp or None, the columns' values) per sample line; blank lines are skipped."""
    parser = _Columns(columns)
    for number, line in enumerate(lines, start=1):
        fields = line.removeprefix("\ufeff").replace(",", " ").split()  # a byte-order mark is not part of the first field
        if not fields:
            continue
        if number == 1 and not is_number(fields[0]):
            parser.header(fields)
            continue
        yield parser.parse(fields, line, number)


def bounded_lines(stream: TextIO, limit: int = MAX_LINE) -> Iterator[str]:
    """The stream's lines, each refused past `limit` characters: a line that never ends (no newline)
    would otherwise grow until memory runs out."""
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit:
            raise HarcnnError(f"stdin line {number}: longer than {limit:,} characters; one sample a line is expected")
        yield line


def predict_stream(
    model: HARClassifier, lines: Iterable[str], k: int = 1, time_unit: str | None = None
) -> Iterator[tuple[float, str, np.ndarray]]:
    """Yield (window start in seconds, activity, probabilities averaged over the last `k` windows).

    Samples are buffered only until they complete the next window, so each prediction is made
    as soon as its last sample has arrived.
    """
    pipeline = model_pipeline(model)
    check_smooth(k)
    if pipeline.devices:
        raise HarcnnError(f"this model joins devices {', '.join(pipeline.devices)}; streams carry one: predict on their files instead")
    stream = pipeline.stream()
    recent: deque[np.ndarray] = deque(maxlen=k)
    pending: list[np.ndarray] = []
    times: list[float] = []
    factors = None
    for timestamp, sample in read_samples(lines, pipeline.columns()):
        pending.append(sample)
        if timestamp is not None and factors is None:
            times.append(timestamp)
        if len(pending) < stream.samples_to_next_window:
            continue
        block = np.array(pending)
        pending.clear()
        if factors is None:
            factors = _first_window(block, times, pipeline, time_unit)
        for start, window in stream.push(block * factors):
            recent.append(model.predict_proba(window[None])[0])
            p = np.mean(recent, axis=0)
            yield start / pipeline.rate, str(model.classes_[int(p.argmax())]), p


def _first_window(block: np.ndarray, times: list[float], pipeline, time_unit: str | None) -> np.ndarray:
    """The rate checked on the first window's timestamps, and the factors to g and rad/s of the units its samples show."""
    where = "stdin"
    if times:
        t = np.asarray(times)
        if (np.diff(t) <= 0).any():
            raise HarcnnError(f"{where}: timestamps must increase strictly (sample {int(np.argmax(np.diff(t) <= 0)) + 2})")
        rate = 1.0 / float(np.median(np.diff(seconds(t, time_unit, where))))
        if abs(rate - pipeline.rate) > 0.02 * pipeline.rate:
            raise HarcnnError(
                f"{where}: the timestamps give {rate:.4g} Hz; this model streams {pipeline.rate:g} Hz samples (resample upstream, "
                f"or save the recording and run `harcnn predict MODEL FILE.csv`, which resamples)"
            )
    recording = Recording(where, np.arange(len(block)) / pipeline.rate, block, pipeline.columns(), ("",) * block.shape[1])
    return to_canonical(for_model(recording, pipeline)[0].units)
