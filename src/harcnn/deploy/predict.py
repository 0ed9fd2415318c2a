"""Activities of a whole raw recording, one row per window (the same forward filters as streaming, centred median)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harcnn.data.preprocess import channels, windows
from harcnn.data.recordings import Recording, read_csv
from harcnn.data.sensors import CHANNELS, RATE, STEPS
from harcnn.errors import HarcnnError
from harcnn.estimator import HARClassifier


@dataclass(frozen=True)
class RecordingPredictions:
    """One row per window: start and end in seconds, the activity, and the class probabilities."""

    start_s: np.ndarray
    end_s: np.ndarray
    activity: np.ndarray
    proba: np.ndarray  # (windows, classes), columns in `classes` order
    classes: tuple

    def __len__(self) -> int:
        return len(self.start_s)

    def table(self) -> str:
        """One line a window: start, activity, its probability."""
        return "\n".join(f"{t:7.2f} s  {a!s:<20} {p.max():.3f}" for t, a, p in zip(self.start_s, self.activity, self.proba))

    def write_csv(self, path: Path) -> None:
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["start_s", "end_s", "activity", *[f"p_{c}" for c in self.classes]])
            for start, end, activity, p in zip(self.start_s, self.end_s, self.activity, self.proba):
                writer.writerow([f"{start:.2f}", f"{end:.2f}", activity, *[f"{v:.4f}" for v in p]])


def require_raw_channels(model: HARClassifier) -> None:
    if tuple(model.channels_) != CHANNELS:
        raise HarcnnError(
            f"this model reads channels {list(model.channels_)}; predicting from raw recordings needs a model "
            f"trained on UCI HAR's nine channels {list(CHANNELS)}"
        )


MAX_SMOOTH = 999  # windows: about 21 minutes of a recording at UCI HAR's 1.28 s hop


def check_smooth(k: int) -> int:
    """`k` neighbouring windows to average: a positive odd number (1 = none), at most MAX_SMOOTH."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_SMOOTH or k % 2 == 0:
        raise HarcnnError(f"--smooth takes an odd number of windows from 1 (no smoothing) to {MAX_SMOOTH}, got {k!r}")
    return k


def smooth(proba: np.ndarray, k: int) -> np.ndarray:
    """Mean class probabilities over `k` neighbouring windows (centred; `k` odd; 1 = none)."""
    if check_smooth(k) == 1 or len(proba) == 0:
        return proba
    padded = np.pad(proba, ((k // 2, k // 2), (0, 0)), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, k, axis=0).mean(-1)


def predict_recording(model: HARClassifier, recording: Recording | str | Path, smooth_over: int = 1) -> RecordingPredictions:
    """Activities of a raw recording (a `Recording`, or a CSV `timestamp,ax,ay,az,gx,gy,gz` in s, g, rad/s)."""
    require_raw_channels(model)
    check_smooth(smooth_over)
    if not isinstance(recording, Recording):
        recording = read_csv(recording)
    X, starts = windows(channels(recording))
    if not len(X):
        raise HarcnnError(
            f"{recording.name}: {len(recording)} samples at 50 Hz are shorter than one window ({STEPS} samples, {STEPS / RATE:.2f} s)"
        )
    proba = smooth(model.predict_proba(X), smooth_over)
    activity = model.classes_[proba.argmax(1)]
    return RecordingPredictions(starts / RATE, (starts + STEPS) / RATE, activity, proba, tuple(model.classes_.tolist()))
