"""Streaming prediction: raw samples in (stdin), an activity out every 64 samples.

Causal filters with carried state, a buffer of one window, and a running mean over the last `k`
windows' probabilities: memory does not grow with the stream.

Input: one sample per line, `ax,ay,az,gx,gy,gz` (g, rad/s), optionally after a timestamp (seconds).
A first line that names the columns (`timestamp,ax,...` in any order) sets their order. Where
timestamps are given, the stream's rate is measured from the first window's worth of samples and
must be the 50 Hz the filters and the model expect; units are checked on that first window too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

from harcnn.data.preprocess import Stream
from harcnn.data.recordings import check_rate, check_units
from harcnn.data.sensors import CSV_COLUMNS, RATE, STEPS
from harcnn.deploy.predict import check_smooth, require_raw_channels
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier

SAMPLE_COLUMNS = CSV_COLUMNS[1:]


class _Columns:
    """Which field of a line is which column: from a header, else by count (6: samples, 7: time first)."""

    def __init__(self) -> None:
        self.index: list[int] | None = None
        self.time: int | None = None
        self.width: int | None = None

    def header(self, fields: list[str]) -> None:
        names = [f.strip().lower() for f in fields]
        missing = [c for c in SAMPLE_COLUMNS if c not in names]
        if missing:
            raise HarcnnError(f"stdin line 1: the header lacks column(s) {missing}; expected {', '.join(CSV_COLUMNS)} (timestamp optional)")
        self.index = [names.index(c) for c in SAMPLE_COLUMNS]
        self.time = names.index("timestamp") if "timestamp" in names else None
        self.width = len(names)

    def parse(self, fields: list[str], line: str, number: int) -> tuple[float | None, np.ndarray]:
        try:
            values = np.array([float(v) for v in fields])
        except ValueError:
            values = None
        if self.width is None and values is not None and len(values) in (6, 7):
            self.width, self.time = len(values), (0 if len(values) == 7 else None)
            self.index = list(range(len(values) - 6, len(values)))
        if values is None or len(values) != self.width or not np.isfinite(values).all():
            want = (
                f"{self.width} numbers as the header names" if self.width else "6 numbers ax,ay,az,gx,gy,gz (optionally after a timestamp)"
            )
            raise HarcnnError(f"stdin line {number}: expected {want}, got {line.strip()!r}")
        return (values[self.time] if self.time is not None else None), values[self.index]


def read_samples(lines: Iterable[str]) -> Iterator[tuple[float | None, np.ndarray]]:
    """(timestamp or None, `ax..gz`) per sample line; blank lines are skipped."""
    columns = _Columns()
    for number, line in enumerate(lines, start=1):
        fields = line.removeprefix("\ufeff").replace(",", " ").split()  # a byte-order mark is not part of the first field
        if not fields:
            continue
        if number == 1 and not _numeric(fields[0]):
            columns.header(fields)
            continue
        yield columns.parse(fields, line, number)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def predict_stream(model: HARClassifier, lines: Iterable[str], k: int = 1) -> Iterator[tuple[int, str, np.ndarray]]:
    """Yield (start sample, activity, probabilities averaged over the last `k` windows) per window.

    Samples are buffered only until they complete the next window, so each prediction is made
    as soon as its last sample has arrived.
    """
    require_raw_channels(model)
    check_smooth(k)
    stream = Stream(RATE)
    recent: deque[np.ndarray] = deque(maxlen=k)
    pending: list[np.ndarray] = []
    times: list[float] = []
    checked = False
    for timestamp, sample in read_samples(lines):
        pending.append(sample)
        if timestamp is not None and not checked:
            times.append(timestamp)
        if len(pending) < stream.samples_to_next_window:
            continue
        block = np.array(pending)
        pending.clear()
        if not checked:
            _check_first_window(block, times)
            checked = True
        for start, window in stream.push(block[:, :3], block[:, 3:]):
            recent.append(model.predict_proba(window[None])[0])
            p = np.mean(recent, axis=0)
            yield start, str(model.classes_[int(p.argmax())]), p


def _check_first_window(block: np.ndarray, times: list[float]) -> None:
    where = "stdin"
    if times:
        dt = np.diff(times)
        if (dt <= 0).any():
            raise HarcnnError(f"{where}: timestamps must increase strictly (sample {int(np.argmax(dt <= 0)) + 2})")
        rate = check_rate(1.0 / float(np.median(dt)), where)
        if abs(rate - RATE) > 0.02 * RATE:
            raise HarcnnError(
                f"{where}: the timestamps give {rate:.4g} Hz; streaming needs {RATE:g} Hz samples (resample upstream, "
                f"or save the recording and run `harcnn predict MODEL FILE.csv`, which resamples)"
            )
    check_units(block[:STEPS, :3], block[:STEPS, 3:], where)
