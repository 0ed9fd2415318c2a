"""Activities of a whole raw recording, one row per window (the same forward filters as streaming, centred median)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from harcnn.data.preprocess import RATE, channels, windows
from harcnn.data.recordings import Recording
from harcnn.data.uci_har import CHANNELS
from harcnn.errors import HarcnnError
from harcnn.models.saved import SavedModel


def require_raw_channels(saved: SavedModel) -> None:
    if saved.channels != CHANNELS:
        raise HarcnnError(
            f"this model reads channels {list(saved.channels)}; predicting from raw recordings needs a model "
            f"trained on UCI HAR's nine channels {list(CHANNELS)}"
        )


def smooth(proba: np.ndarray, k: int) -> np.ndarray:
    """Mean class probabilities over `k` neighbouring windows (centred; `k` odd; 1 = none)."""
    if k <= 1 or len(proba) == 0:
        return proba
    if k % 2 == 0:
        raise HarcnnError(f"--smooth takes an odd number of windows, got {k}")
    padded = np.pad(proba, ((k // 2, k // 2), (0, 0)), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, k, axis=0).mean(-1)


def predict_recording(saved: SavedModel, recording: Recording, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(start sample of each window at 50 Hz, class probabilities `(w, n_classes)`)."""
    require_raw_channels(saved)
    X, starts = windows(channels(recording))
    return starts, smooth(saved.predict_proba(X), k)


def write_predictions(path: Path, starts: np.ndarray, proba: np.ndarray, classes: tuple[str, ...], size: int) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["start_s", "end_s", "activity", *[f"p_{c}" for c in classes]])
        for start, p in zip(starts, proba):
            writer.writerow([f"{start / RATE:.2f}", f"{(start + size) / RATE:.2f}", classes[int(p.argmax())], *[f"{v:.4f}" for v in p]])
