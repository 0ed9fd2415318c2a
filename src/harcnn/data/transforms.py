"""Input transforms, fitted on training windows only and saved with the model that used them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError


def standardize(x, mean, std):
    """The one formula, for numpy arrays and torch tensors alike: `mean` and `std` shaped `(1, c, 1)`."""
    return (x - mean) / std


@dataclass(frozen=True)
class Standardize:
    """Per-channel zero mean and unit variance.

    Fitted as the tutorial does: on the second half of every training window only, because UCI HAR
    windows overlap by 50% and the full windows would count each sample twice.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, train: WindowSet, overlap: float = 0.5) -> Standardize:
        fresh = train.X[:, :, int(round(train.seq_len * overlap)) :]
        mean = fresh.mean(axis=(0, 2), dtype=np.float64)
        std = fresh.std(axis=(0, 2), dtype=np.float64)
        flat = std == 0
        if flat.any():
            channel = train.channels[int(np.argmax(flat))]
            raise HarcnnError(f"cannot standardise: channel {channel!r} is constant in the training windows")
        return cls(mean.astype(np.float32), std.astype(np.float32))

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Windows `(n, c, t)` standardised, float32 (training, the estimator's predictions). float32
        windows take one new array, divided in place (the same numbers as `standardize`): a million
        windows are 4.6 GB, and the formula's temporaries and a final copy had made it three more."""
        mean, std = self.mean[None, :, None], self.std[None, :, None]
        if X.dtype != np.float32:
            return standardize(X, mean, std).astype(np.float32)
        out = X - mean
        out /= std
        return out

    def __call__(self, windows: WindowSet) -> WindowSet:
        return replace(windows, X=self.apply(windows.X))

    def to_json(self) -> dict:
        return {"standardize": {"mean": self.mean.tolist(), "std": self.std.tolist()}}

    @classmethod
    def from_json(cls, data: dict | None) -> Standardize | None:
        if not data:
            return None
        return cls(np.asarray(data["standardize"]["mean"], np.float32), np.asarray(data["standardize"]["std"], np.float32))
