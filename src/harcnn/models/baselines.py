"""Non-neural baselines, run through the same runner, store and report as the CNNs.

MiniRocket: Angus Dempster, Daniel F. Schmidt and Geoffrey I. Webb, "MiniRocket: A Very Fast
(Almost) Deterministic Transform for Time Series Classification", KDD 2021; aeon's implementation
(`MiniRocketClassifier`: the transform and a ridge classifier with cross-validated regularisation),
an optional extra: `pip install "harcnn[rocket]"`. It is what a user who wants the best activity
recogniser from raw windows would run instead of a CNN, so studies can show the two side by side.
A baseline trains one seed at a time, not as a population.
"""

from __future__ import annotations

import numpy as np

from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError


def minirocket(n_kernels: int = 10000, max_dilations_per_kernel: int = 32) -> None:
    """The hyperparameters of MiniRocket (the signature `harcnn models` and specs read)."""


BASELINES = {"minirocket": minirocket}


def fit_predict_proba(name: str, hparams: dict, train: WindowSet, seed: int, threads: int, *windows: np.ndarray) -> list[np.ndarray]:
    """Fit baseline `name` with `seed` on `train`; class probabilities `(n, classes)` for each array of `windows`."""
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
    except ImportError:
        raise HarcnnError('the minirocket baseline needs aeon: pip install "harcnn[rocket]"') from None
    if name != "minirocket":
        raise HarcnnError(f"unknown baseline {name!r}; harcnn has {sorted(BASELINES)}")
    model = MiniRocketClassifier(**hparams, n_jobs=threads, random_state=seed)
    model.fit(train.X.astype(np.float32), train.y)
    out = []
    for X in windows:
        proba = np.zeros((len(X), len(train.classes)))  # classes absent from training stay at zero
        proba[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X.astype(np.float32))
        out.append(proba)
    return out
