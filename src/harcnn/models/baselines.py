"""The peers a user would run instead of a CNN, through the same runner, store and report (aeon, an
optional extra: `pip install "harcnn[rocket]"`). A peer fits one seed at a time, not as a population.

- MiniRocket: Dempster, Schmidt and Webb, "MiniRocket: A Very Fast (Almost) Deterministic Transform
  for Time Series Classification", KDD 2021 (`MiniRocketClassifier`: the transform and a ridge
  classifier with cross-validated regularisation).
- Hydra: Dempster, Schmidt and Webb, "Hydra: Competing Convolutional Kernels for Fast and Accurate
  Time Series Classification", DMKD 2023 (`HydraClassifier`).
- MultiRocket-Hydra: the same paper's concatenation of MultiRocket and Hydra features
  (`MultiRocketHydraClassifier`), the strongest peer measured on UCI HAR's windows.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass

import numpy as np

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.extras import require


def minirocket(n_kernels: int = 10000, max_dilations_per_kernel: int = 32) -> None:
    """The hyperparameters of MiniRocket (the signature `harcnn models` and specs read)."""


def hydra(n_kernels: int = 8, n_groups: int = 64) -> None:
    """The hyperparameters of Hydra and MultiRocket-Hydra: kernels per group and groups per dilation."""


@dataclass(frozen=True)
class Peer:
    signature: object  # a function whose parameters are the hyperparameters and their defaults
    estimator: str  # aeon's classifier, "module:Class"
    min_length: int  # the shortest window its kernels fit
    features: object  # hyperparameters -> the length of a window's transform (for the memory estimate)

    @property
    def defaults(self) -> dict:
        """Its hyperparameters and their defaults."""
        return {k: p.default for k, p in inspect.signature(self.signature).parameters.items()}


BASELINES = {
    "minirocket": Peer(minirocket, "aeon.classification.convolution_based:MiniRocketClassifier", 9, lambda h: h["n_kernels"]),
    # Hydra: two counts per kernel, group and dilation (about 8 dilations at these window lengths)
    "hydra": Peer(hydra, "aeon.classification.convolution_based:HydraClassifier", 9, lambda h: 2 * h["n_kernels"] * h["n_groups"] * 8),
    "multirocket-hydra": Peer(
        hydra,
        "aeon.classification.convolution_based:MultiRocketHydraClassifier",
        9,
        lambda h: 50_000 + 2 * h["n_kernels"] * h["n_groups"] * 8,  # MultiRocket's 50k features beside Hydra's
    ),
}


def check_input(name: str, seq_len: int) -> None:
    """Refuse, before anything is fitted, windows shorter than the peer's kernels."""
    if seq_len < BASELINES[name].min_length:
        raise HarcnnError(f"{name}: windows of {seq_len} steps are shorter than its kernels ({BASELINES[name].min_length} steps)")


def memory_bytes(name: str, hparams: dict, n_windows: int) -> int:
    """Its features of every training window, twice (the transform and the ridge's copy), in float64."""
    return 2 * 8 * n_windows * summary_row(name, hparams)["output"][0]


def fit_predict_proba(name: str, hparams: dict, train: WindowSet, seed: int, threads: int, *windows: np.ndarray) -> list[np.ndarray]:
    """Fit peer `name` with `seed` on `train`; class probabilities `(n, classes)` for each array of `windows`."""
    if name not in BASELINES:
        raise HarcnnError(f"unknown baseline {name!r}; harcnn has {sorted(BASELINES)}")
    module, cls = BASELINES[name].estimator.split(":")
    require("aeon", f"the {name} baseline")
    estimator = getattr(importlib.import_module(module), cls)
    check_input(name, train.seq_len)
    model = estimator(**hparams, n_jobs=threads, random_state=seed)
    model.fit(train.X.astype(np.float32), train.y)
    out = []
    for X in windows:
        proba = np.zeros((len(X), len(train.classes)))  # classes absent from training stay at zero
        proba[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X.astype(np.float32))
        out.append(proba)
    return out


def summary_row(name: str, hparams: dict) -> dict:
    """The peer as a layer table's one row: aeon's classifier and the length of its transform."""
    return {
        "layer": name,
        "type": BASELINES[name].estimator.split(":")[1] + " (aeon)",
        "output": (BASELINES[name].features({**BASELINES[name].defaults, **hparams}),),
        "params": 0,
    }
