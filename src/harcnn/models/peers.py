"""The peers a user would run instead of a CNN, through the same runner, store and report (aeon, an
optional extra: `pip install "harcnn[rocket]"`). A peer fits one seed at a time, not as a population.

- MiniRocket: Dempster, Schmidt and Webb, "MiniRocket: A Very Fast (Almost) Deterministic Transform
  for Time Series Classification", KDD 2021 (`MiniRocketClassifier`: the transform and a ridge
  classifier with cross-validated regularisation).
- Hydra: Dempster, Schmidt and Webb, "Hydra: Competing Convolutional Kernels for Fast and Accurate
  Time Series Classification", DMKD 2023 (`HydraClassifier`).
- MultiRocket-Hydra: the same paper's concatenation of MultiRocket and Hydra features
  (`MultiRocketHydraClassifier`), the strongest peer measured on UCI HAR's windows.
- QUANT: Dempster, Schmidt and Webb, "QUANT: A Minimalist Interval Method for Time Series
  Classification", DMKD 2024 (`QUANTClassifier`): quantiles of dyadic intervals of the series and
  three of its transforms, fed to extremely randomised trees.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harcnn.errors import HarcnnError
from harcnn.extras import require

ABSENT_MARGIN = 30.0  # a class absent from a peer's training scores this far below its lowest score


def softmax(scores: np.ndarray) -> np.ndarray:
    z = np.exp(scores - scores.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


if TYPE_CHECKING:
    from harcnn.models.registry import FitRequest


def minirocket(n_kernels: int = 10000, max_dilations_per_kernel: int = 32) -> None:
    """The hyperparameters of MiniRocket (the signature `harcnn models` and specs read)."""


def hydra(n_kernels: int = 8, n_groups: int = 64) -> None:
    """The hyperparameters of Hydra and MultiRocket-Hydra: kernels per group and groups per dilation."""


def quant(interval_depth: int = 6, quantile_divisor: int = 4) -> None:
    """The hyperparameters of QUANT: how many times the series is halved into intervals, and one
    quantile per this many steps of an interval."""


def quant_features(h: dict, channels: int, steps: int) -> int:
    """QUANT's features of a window: per channel and per representation (the series, its first and
    second differences, its Fourier magnitudes), 1 + (length - 1) // divisor quantiles of every
    interval, halved `interval_depth` times, shifted intervals included: an upper bound (aeon 1.6 makes
    10,440 for 9 x 128 windows, this says 12,708)."""
    per_representation = sum(
        (2 * 2**d - (d > 0)) * (1 + (max(1, steps >> d) - 1) // h["quantile_divisor"]) for d in range(h["interval_depth"])
    )
    return channels * 4 * per_representation


def pipeline_decision(attribute: str):
    """The decision values of a classifier whose fitted pipeline (its transform, scaling and ridge)
    is held in `attribute`."""
    return lambda model, X: getattr(model, attribute).decision_function(X)


def multirocket_hydra_decision(model, X: np.ndarray) -> np.ndarray:
    """MultiRocket-Hydra's ridge decision values: its two transforms, each scaled, side by side, as its
    `predict` builds them (aeon 1.6); `tests/test_peer_files.py` checks that they pick what `predict` picks."""
    hydra = model._scale_hydra.transform(model._transform_hydra.transform(X))
    multirocket = model._scale_multirocket.transform(model._transform_multirocket.transform(X))
    return model.classifier.decision_function(np.concatenate((hydra, multirocket), axis=1))


@dataclass(frozen=True)
class Peer:
    """An aeon classifier in the registry: fitted one seed at a time, never as a population."""

    name: str
    signature: object  # a function whose parameters are the hyperparameters and their defaults
    estimator: str  # aeon's classifier, "module:Class"
    min_length: int  # the shortest window its kernels fit
    features: object  # (hyperparameters, channels, steps) -> the length of a window's transform (for the memory estimate)
    saved_types: tuple[str, ...] = ()  # the classes its file may hold beside scikit-learn's and numpy's (`peer_files`); none: not saveable
    decision: object = None  # (fitted, float32 windows) -> its ridge's decision values, where it ends in a ridge
    population = False

    def hyperparameters(self) -> dict[str, object]:
        return {k: p.default for k, p in inspect.signature(self.signature).parameters.items()}

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.hyperparameters().items())
        return f'{self.name}: {params}; a peer (aeon, pip install "harcnn[rocket]"), one seed at a time; windows of at least {self.min_length} steps'

    def build(self, c_in: int, n_classes: int, seq_len: int, members: int = 1, **hparams):
        raise HarcnnError(f"model {self.name!r} is a peer (aeon): it is fitted, not built as a network")

    def check_input(self, c_in: int, n_classes: int, seq_len: int, hparams: dict) -> None:
        """Refuse, before anything is fitted, windows shorter than its kernels."""
        if seq_len < self.min_length:
            raise HarcnnError(f"{self.name}: windows of {seq_len} steps are shorter than its kernels ({self.min_length} steps)")

    def member_bytes(self, hparams: dict, c_in: int, n_classes: int, seq_len: int, n_windows: int, batch_size: int) -> int:
        """Its features of every training window, twice (the transform and the ridge's copy), in float64;
        windows its kernels do not fit are refused here, as a network's are by building it."""
        self.check_input(c_in, n_classes, seq_len, hparams)
        return 2 * 8 * n_windows * self._features(hparams, c_in, seq_len)

    def members_in(self, budget: int, per_member: int) -> int:
        """One seed at a time."""
        return 1

    def layer_table(self, c_in: int, n_classes: int, seq_len: int, hparams: dict) -> list[dict]:
        """One row: aeon's classifier and the length of its transform, no trained parameters but the ridge's."""
        return [
            {
                "layer": self.name,
                "type": self.estimator.split(":")[1] + " (aeon)",
                "output": (self._features(hparams, c_in, seq_len),),
                "params": 0,
            }
        ]

    def check_saveable(self, where: str) -> None:
        raise HarcnnError(
            f"{where}: model: {self.name!r} is a peer (aeon), fitted one seed at a time, not a CNN harcnn trains and saves; "
            "compare it in a study (harcnn run)"
        )

    def check_joinable(self) -> None:
        raise HarcnnError(f"peers join a CNN (the join setting); model {self.name!r} is a peer itself")

    def check_available(self) -> None:
        """Refuse, with the line that installs it, where aeon is missing."""
        require("aeon", f"the {self.name} peer")

    def fit_predict_proba(self, hparams: dict, request: FitRequest) -> tuple[np.ndarray, list[dict]]:
        """Each seed fitted in turn; its class probabilities of `request.X` `(R, n, classes)` and its
        curves, which hold the validation accuracy only."""
        self.check_input(request.X_train.shape[1], request.n_classes, request.X_train.shape[2], hparams)
        probabilities, curves = [], []
        for seed in request.seeds:
            model = self.fit(hparams, request.X_train, request.y_train, seed, request.threads)
            probabilities.append((self.scores if request.scores else self.proba)(model, request.X, request.n_classes))
            validation = []
            if request.validation is not None:
                X_val, y_val = request.validation
                validation = [float((self.proba(model, X_val, request.n_classes).argmax(1) == y_val).mean())]
            curves.append({"train_loss": [], "train_accuracy": [], "val_loss": [], "val_accuracy": validation, "epoch_seconds": []})
        return np.stack(probabilities), curves

    def fit(self, hparams: dict, X: np.ndarray, y: np.ndarray, seed: int, threads: int = 1):
        """aeon's classifier fitted on windows `X` `(n, c, t)` and label ids `y`, from `seed`."""
        self.check_available()
        module, cls = self.estimator.split(":")
        estimator = getattr(importlib.import_module(module), cls)
        threads = {"n_jobs": threads} if "n_jobs" in inspect.signature(estimator).parameters else {}  # QUANT's trees take none
        model = estimator(**hparams, **threads, random_state=seed)
        return model.fit(X.astype(np.float32), y)

    @staticmethod
    def proba(model, X: np.ndarray, n_classes: int) -> np.ndarray:
        """A fitted classifier's probabilities of windows `X`, one column per class id `0..n_classes-1`."""
        proba = np.zeros((len(X), n_classes))  # classes absent from training stay at zero
        proba[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X.astype(np.float32))
        return proba

    def scores(self, model, X: np.ndarray, n_classes: int) -> np.ndarray:
        """Class scores to calibrate (`calibrated`): a ridge's decision values where aeon's classifier ends
        in one (its probabilities are then one-hot: they would drown any partner in an ensemble), else
        the log of its probabilities. Classes absent from training score far below the rest."""
        if self.decision is not None:
            given = np.asarray(self.decision(model, X.astype(np.float32)), np.float64)
            given = np.stack([-given, given], 1) if given.ndim == 1 else given
        else:
            given = np.log(np.clip(model.predict_proba(X.astype(np.float32)), 1e-12, None))
        out = np.full((len(X), n_classes), given.min(initial=0.0) - ABSENT_MARGIN)
        out[:, np.asarray(model.classes_, dtype=np.int64)] = given
        return out

    def calibrated(self, model, X: np.ndarray, n_classes: int, temperature: float) -> np.ndarray:
        """Probabilities from `scores` at `temperature` (fitted on windows the model did not see)."""
        return softmax(self.scores(model, X, n_classes) / temperature)

    @property
    def saveable(self) -> bool:
        """Whether a fitted one can be written to a model folder (`peer_files`)."""
        return bool(self.saved_types)

    def _features(self, hparams: dict, channels: int, steps: int) -> int:
        return self.features({**self.hyperparameters(), **hparams}, channels, steps)


HYDRA_TYPES = (
    "aeon.classification.convolution_based._hydra._SparseScaler",
    "aeon.transformations.collection.convolution_based._hydra.HydraTransformer",
)  # what a fitted Hydra holds, alone or beside MultiRocket

PEERS = {
    "minirocket": Peer(
        "minirocket",
        minirocket,
        "aeon.classification.convolution_based:MiniRocketClassifier",
        9,
        lambda h, c, t: h["n_kernels"],
        saved_types=(
            "aeon.classification.convolution_based._minirocket.MiniRocketClassifier",
            "aeon.transformations.collection.convolution_based._minirocket.MiniRocket",
        ),
        decision=pipeline_decision("pipeline_"),
    ),  # fmt: skip
    # Hydra: two counts per kernel, group and dilation (about 8 dilations at these window lengths)
    "hydra": Peer(
        "hydra",
        hydra,
        "aeon.classification.convolution_based:HydraClassifier",
        9,
        lambda h, c, t: 2 * h["n_kernels"] * h["n_groups"] * 8,
        saved_types=("aeon.classification.convolution_based._hydra.HydraClassifier", *HYDRA_TYPES),
        decision=pipeline_decision("clf_"),
    ),
    "multirocket-hydra": Peer(
        "multirocket-hydra",
        hydra,
        "aeon.classification.convolution_based:MultiRocketHydraClassifier",
        9,
        lambda h, c, t: 50_000 + 2 * h["n_kernels"] * h["n_groups"] * 8,  # MultiRocket's 50k features beside Hydra's
        saved_types=(
            "aeon.classification.convolution_based._mr_hydra.MultiRocketHydraClassifier",
            "aeon.transformations.collection.convolution_based._multirocket.MultiRocket",
            *HYDRA_TYPES,
        ),
        decision=multirocket_hydra_decision,
    ),
    "quant": Peer(
        "quant",
        quant,
        "aeon.classification.interval_based:QUANTClassifier",
        16,
        quant_features,
        saved_types=(
            "aeon.classification.interval_based._quant.QUANTClassifier",
            "aeon.transformations.collection.interval_based._quant.QUANTTransformer",
            "sklearn.tree._tree.Tree",  # the extremely randomised trees' own; skops reads it as arrays
        ),
    ),
}
