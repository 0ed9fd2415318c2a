"""Streaming prediction: raw samples in (stdin), an activity out every 64 samples.

Causal filters with carried state, a buffer of one window, and a running mean over the last `k`
windows' probabilities: memory does not grow with the stream.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

from harcnn.data.preprocess import RATE, Stream
from harcnn.deploy.predict import check_smooth, require_raw_channels
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier


def parse_sample(line: str, number: int) -> np.ndarray | None:
    """`ax,ay,az,gx,gy,gz` (or with a leading timestamp); blank lines and a first-line header are skipped."""
    fields = line.replace(",", " ").split()
    if not fields:
        return None
    try:
        values = np.array([float(v) for v in fields])
    except ValueError:
        if number == 1:
            return None
        values = np.zeros(0)
    if len(values) not in (6, 7) or not np.isfinite(values).all():
        raise HarcnnError(f"stdin line {number}: expected 6 numbers ax,ay,az,gx,gy,gz (optionally after a timestamp), got {line.strip()!r}")
    return values[-6:]


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
    for number, line in enumerate(lines, start=1):
        sample = parse_sample(line, number)
        if sample is None:
            continue
        pending.append(sample)
        if len(pending) < stream.samples_to_next_window:
            continue
        block = np.array(pending)
        pending.clear()
        for start, window in stream.push(block[:, :3], block[:, 3:]):
            recent.append(model.predict_proba(window[None])[0])
            p = np.mean(recent, axis=0)
            yield start, str(model.classes_[int(p.argmax())]), p
