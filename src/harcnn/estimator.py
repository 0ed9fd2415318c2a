"""`HARClassifier`: harcnn's models in scikit-learn's conventions, for notebooks and pipelines.

    clf = harcnn.HARClassifier(model="cnn", epochs=10, standardize=True, filters=64)
    clf.fit(X, y, groups=subjects)      # X: (n_windows, n_channels, n_steps), as aeon's classifiers take
    clf.predict(X_new); clf.predict_proba(X_new); clf.score(X_test, y_test)
    clf.save("model/"); harcnn.load("model/")

It is the same training the CLI runs (`train.population`) and writes the same model folder, so a
model made in a notebook works with `harcnn evaluate`, `predict` and `export`, and the other way
round. With `members=R` it trains R seeds (`random_state`, `random_state + 1`, ...) as one population
and predicts with their mean probability: an ensemble for the cost of one population.
Model hyperparameters (`filters`, `kernel`, ...) are keyword arguments, as `harcnn models` lists
them; `get_params`, `set_params` and `sklearn.base.clone` know them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

import harcnn
from harcnn.data.splits import hold_out_subjects
from harcnn.data.transforms import Standardize
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.models import build, hyperparameters
from harcnn.models.layers import PopulationModel
from harcnn.models.saved import ModelMeta, load_model, save_model
from harcnn.train.population import History, default_device, predict_logits, train_population
from harcnn.train.recipe import RECIPE_EXTRAS, Recipe


class HARClassifier(ClassifierMixin, BaseEstimator):
    """A population of `members` CNNs (registered model `model`) trained on windows `(n, c, t)`.

    `validation_subjects=k` holds k subjects of `groups` (drawn with seed 0) out of training, for the
    validation curves in `history_`; the rest train. The input windows' channel names can be given
    to `fit` (`channels=`); a model that should read raw phone recordings needs UCI HAR's nine.
    """

    def __init__(
        self,
        model: str = "cnn",
        epochs: int = 10,
        batch_size: int = 32,
        lr: float = 1e-3,
        members: int = 1,
        standardize: bool = False,
        validation_subjects: int = 0,
        random_state: int = 0,
        weight_decay: float = 0.0,
        schedule: str = "constant",
        warmup: float = 0.0,
        label_smoothing: float = 0.0,
        scale: float = 0.0,
        jitter: float = 0.0,
        rotate: float = 0.0,
        time_warp: float = 0.0,
        mixup: float = 0.0,
        verbose: bool = False,
        **hparams,
    ):
        self.model = model
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.members = members
        self.standardize = standardize
        self.validation_subjects = validation_subjects
        self.random_state = random_state
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.warmup = warmup
        self.label_smoothing = label_smoothing
        self.scale = scale
        self.jitter = jitter
        self.rotate = rotate
        self.time_warp = time_warp
        self.mixup = mixup
        self.verbose = verbose
        self.hparams = hparams

    # -- scikit-learn's parameter protocol, with the model's hyperparameters as parameters too --

    def get_params(self, deep: bool = True) -> dict:
        return {**super().get_params(deep), **self.hparams}

    def set_params(self, **params) -> HARClassifier:
        model = params.get("model", self.model)
        known = hyperparameters(model)
        for key in [k for k in params if k in known or k in self.hparams]:
            self.hparams = {**self.hparams, key: params.pop(key)}
        return super().set_params(**params)

    # -- training --

    def fit(self, X, y, groups=None, channels: list[str] | None = None) -> HARClassifier:
        """Train on windows `X` `(n, c, t)` with labels `y` (names or ids); `groups` are subjects."""
        X = _windows(X, "X")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise HarcnnError(f"y must hold one label per window ({len(X)}), got shape {y.shape}")
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise HarcnnError(f"y must hold at least two classes, got {classes.tolist()}")
        subject = np.zeros(len(X), np.int64) if groups is None else np.asarray(groups)
        if subject.shape != (len(X),):
            raise HarcnnError(f"groups must hold one subject per window ({len(X)}), got shape {subject.shape}")
        if not np.issubdtype(subject.dtype, np.integer):
            subject = np.unique(subject.astype(str), return_inverse=True)[1]
        channels = tuple(channels) if channels is not None else tuple(f"ch{i}" for i in range(X.shape[1]))
        train = WindowSet(X, y_index.astype(np.int64), subject.astype(np.int64), channels, tuple(_label(c) for c in classes))
        return self.fit_windows(train)

    def fit_windows(self, train: WindowSet, validation: WindowSet | None = None) -> HARClassifier:
        """Train on a `WindowSet`, keeping its class order and channel names (what the CLI calls)."""
        if validation is None and self.validation_subjects:
            train, validation = hold_out_subjects(train, self.validation_subjects, seed=0)
        transform = Standardize.fit(train) if self.standardize else None
        if transform is not None:
            train, validation = transform(train), validation and transform(validation)
        seeds = [int(self.random_state) + r for r in range(int(self.members))]
        net = build(self.model, train.n_channels, len(train.classes), train.seq_len, members=len(seeds), **self.hparams)
        recipe = Recipe(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, **{k: getattr(self, k) for k in RECIPE_EXTRAS})
        t0 = time.perf_counter()
        self.history_ = train_population(
            net, train, seeds, recipe, validation=validation, on_epoch=self._report if self.verbose else None, standardized=transform
        )
        self._set_fitted(net.eval(), ModelMeta(
            model=self.model, hparams=dict(self.hparams), seq_len=train.seq_len, channels=train.channels, classes=train.classes,
            members=len(seeds), seeds=tuple(seeds), transform=transform.to_json() if transform else None,
            training={"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr, "standardize": self.standardize,
                      "validation_subjects": self.validation_subjects, **{k: getattr(self, k) for k in RECIPE_EXTRAS},
                      "wall_s": round(time.perf_counter() - t0, 2)},
            harcnn_version=harcnn.__version__, torch_version=torch.__version__,
        ))  # fmt: skip
        return self

    def _report(self, epoch: int, history: History) -> None:
        line = f"epoch {epoch + 1}/{self.epochs}: train loss {np.mean(history.train_loss[-1]):.4f}, accuracy {np.mean(history.train_accuracy[-1]):.4f}"
        if history.val_accuracy:
            line += f", validation accuracy {np.mean(history.val_accuracy[-1]):.4f}"
        print(line, flush=True)

    def _set_fitted(self, net: PopulationModel, meta: ModelMeta) -> None:
        self.net_, self.meta_ = net, meta
        self.classes_ = np.array(meta.classes)
        self.channels_ = meta.channels
        self.n_features_in_ = meta.c_in
        self.transform_ = Standardize.from_json(meta.transform)

    # -- prediction --

    def member_proba(self, X) -> np.ndarray:
        """Every member's class probabilities, `(members, n, n_classes)`."""
        check_is_fitted(self, "net_")
        X = _windows(X, "X")
        want = (self.meta_.c_in, self.meta_.seq_len)
        any_length = type(self.net_).ANY_LENGTH
        if X.shape[1] != want[0] or (X.shape[2] != want[1] and not any_length):
            raise HarcnnError(f"the model expects windows of shape (n, {want[0]}, {want[1]}), got {X.shape}")
        if self.transform_ is not None:
            X = ((X - self.transform_.mean[None, :, None]) / self.transform_.std[None, :, None]).astype(np.float32)
        if not len(X):
            return np.zeros((self.meta_.members, 0, len(self.classes_)), np.float32)
        return torch.softmax(predict_logits(self.net_, X, default_device()), -1).cpu().numpy()

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities `(n, n_classes)`, columns in `classes_` order; an ensemble's are its members' mean."""
        return self.member_proba(X).mean(0)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(1)]

    # -- persistence --

    def save(self, path: str | Path) -> Path:
        """Write the model folder (`model.safetensors` + `model.json`) that every CLI command reads."""
        check_is_fitted(self, "net_")
        return save_model(Path(path), self.net_.state_dict(), self.meta_)

    def with_meta(self, **fields) -> HARClassifier:
        """Record more about the model (`data`, `test_accuracy`, `training`) in what `save` writes."""
        self.meta_ = replace(self.meta_, **fields)
        return self

    @classmethod
    def load(cls, path: str | Path) -> HARClassifier:
        """A fitted classifier from a model folder written by `save` or `harcnn train`."""
        net, meta = load_model(path)
        t = meta.training
        clf = cls(
            model=meta.model, epochs=t.get("epochs", 10), batch_size=t.get("batch_size", 32), lr=t.get("lr", 1e-3),
            members=meta.members, standardize=meta.transform is not None, validation_subjects=t.get("validation_subjects", 0),
            random_state=meta.seeds[0], **{k: t[k] for k in RECIPE_EXTRAS if k in t}, **meta.hparams,
        )  # fmt: skip
        clf._set_fitted(net.to(default_device()), meta)
        return clf


def _label(value):
    """A class label as JSON keeps it: numpy integers become ints, everything else a string."""
    return int(value) if isinstance(value, np.integer | int) and not isinstance(value, bool) else str(value)


def _windows(X, name: str) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 3:
        raise HarcnnError(f"{name} must be windows (n, channels, steps), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.iscomplexobj(X):
        raise HarcnnError(f"{name} must hold real numbers, got {X.dtype}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not np.isfinite(X).all():
        raise HarcnnError(f"{name}: window {int(np.argmax(~np.isfinite(X).reshape(len(X), -1).all(1)))} holds NaN or infinity")
    return X


load = HARClassifier.load
