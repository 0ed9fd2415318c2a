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

import inspect
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

import harcnn
from harcnn import models
from harcnn.choices import AUTO_BUDGET_MIN, LAYOUTS
from harcnn.data.pipeline import UCI_HAR, Pipeline
from harcnn.data.windows import WindowSet, channels_first, first_nonfinite
from harcnn.errors import HarcnnError, HarcnnWarning
from harcnn.models import joined
from harcnn.models.inference import default_device, predict_logits
from harcnn.models.layers import PopulationModel
from harcnn.saved import ModelMeta, load_model, save_model
from harcnn.settings import SETTINGS, Setting, check_settings

ESTIMATOR = {  # the estimator's own parameters beside the training settings, checked like them
    "members": Setting(
        "members", int, 1, "seeds trained together as one population and saved as one ensemble", "estimator", low=1, high=1024
    ),
    "random_state": Setting(
        "random_state", int, 0, "seed of the first member (member r: random_state + r)", "estimator", low=0, high=2**32 - 1025
    ),
    "budget": Setting(
        "budget",
        float,
        AUTO_BUDGET_MIN,
        "minutes model='auto' spends choosing and refitting (harcnn auto)",
        "estimator",
        low=0.0,
        high=7 * 24 * 60,
        low_open=True,
    ),  # fmt: skip
    "layout": Setting(
        "layout",
        str,
        "auto",
        "axes of a 3-D X: 'nct' (n, channels, steps), 'ntc' (n, steps, channels), 'auto' refuses the ambiguous",
        "estimator",
        choices=LAYOUTS,
    ),
}


AUTO = "auto"  # the model name that chooses a model (`experiments.auto`)


class HARClassifier(ClassifierMixin, BaseEstimator):
    """A population of `members` CNNs (registered model `model`) trained on windows `(n, c, t)`.

    Its parameters are `model`, `members`, `random_state`, `verbose`, every training setting of
    `harcnn.settings` (with the defaults declared there) and the model's hyperparameters. They are
    checked by `fit`, as a spec's are, never by `__init__` or `set_params` (scikit-learn's rule).
    `validation_subjects=k` holds k subjects of `groups` (drawn with `split_seed`) out of training, for the
    validation curves in `history_`; the rest train. With `join=["minirocket", ...]` aeon peers join
    the population, calibrated and weighted on those subjects (`models.joined`; `with_peers` joins
    peers fitted elsewhere). The input windows' channel names can be given
    to `fit` (`channels=`); a model trained with `fit_windows` on windows cut from recordings keeps
    their `Pipeline`, which `harcnn predict` applies to new recordings.
    """

    def __init__(self, model: str = "cnn", verbose: bool = False, **params):
        self.model = model
        self.verbose = verbose
        for name, setting in (ESTIMATOR | SETTINGS).items():
            setattr(self, name, params.pop(name, setting.default))
        self._hparams = params  # the model's hyperparameters: which exist depends on `model`

    @classmethod
    def from_config(cls, config, **params) -> HARClassifier:
        """The classifier of a study's configuration (`experiments.spec.Config`), its members trained as a study's are."""
        return cls(model=config.model, **config.settings, **config.hparams, **params)

    # -- scikit-learn's parameter protocol, with the model's hyperparameters as parameters too --

    def get_params(self, deep: bool = True) -> dict:
        return {**super().get_params(deep), **self._hparams}

    def set_params(self, **params) -> HARClassifier:
        own = set(super().get_params(deep=False))
        for key, value in params.items():
            if key in own:
                setattr(self, key, value)
            else:
                self._hparams = {**self._hparams, key: value}
        return self

    @property
    def hparams(self) -> dict:
        """The model's hyperparameters as given (checked by `fit`)."""
        return dict(self._hparams)

    def checked_params(self) -> tuple[dict, dict, list[int]]:
        """The settings, hyperparameters and seeds, each checked as a spec's are (`fit` calls it; the CLI
        too, before it loads data)."""
        where = "HARClassifier"
        if self.model == AUTO:
            return self._checked_auto(where)
        try:
            entry = models.get(self.model)
        except HarcnnError as e:
            raise HarcnnError(f"{where}: model: {e}") from None
        entry.check_saveable(where)
        settings = check_settings({k: getattr(self, k) for k in SETTINGS}, where)
        joined.check(settings["join"])
        if settings["test_folds"]:
            raise HarcnnError(
                f"{where}: test_folds: holding test folds out is a study's protocol (harcnn run); one model trains on all the "
                "windows it is given, so give test_folds = 0 (--set test_folds=0)"
            )
        members, first = (ESTIMATOR[k].check(getattr(self, k), where) for k in ("members", "random_state"))
        known = entry.hyperparameters()
        hparams = {k: v.item() if isinstance(v, np.generic) else v for k, v in self._hparams.items()}
        unknown = sorted(set(hparams) - set(known))
        if unknown:
            raise HarcnnError(f"{where}: model {self.model!r} has no hyperparameter {unknown[0]!r}; it has {sorted(known)}")
        return settings, hparams, [first + r for r in range(members)]

    def _checked_auto(self, where: str) -> tuple[dict, dict, list[int]]:
        """model='auto' takes a budget and nothing else: its candidates carry their own settings."""
        changed = sorted(k for k, s in (SETTINGS | {"members": ESTIMATOR["members"]}).items() if getattr(self, k) != s.default)
        if changed or self._hparams:
            raise HarcnnError(
                f"{where}: model='auto' chooses its own settings, members and hyperparameters; "
                f"{(changed + sorted(self._hparams))[0]} cannot be set (give budget=MINUTES)"
            )
        ESTIMATOR["budget"].check(self.budget, where)
        return {}, {}, []

    # -- training --

    def fit(self, X, y, groups=None, channels: list[str] | None = None, teacher: HARClassifier | None = None) -> HARClassifier:
        """Train on windows `X` `(n, c, t)` with labels `y` (names or ids); `groups` are subjects.
        With a fitted `teacher` (same classes and channels), the members fit its probabilities of `X`."""
        X = _windows(X, "X", self.layout, channels)
        y = _labels(y, len(X))
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise HarcnnError(f"y must hold at least two classes, got one class {classes.tolist()}")
        subject = np.zeros(len(X), np.int64) if groups is None else np.asarray(groups)
        if subject.shape != (len(X),):
            raise HarcnnError(f"groups must hold one subject per window ({len(X)}), got shape {subject.shape}")
        if not np.issubdtype(subject.dtype, np.integer):
            subject = np.unique(subject.astype(str), return_inverse=True)[1]
        channels = tuple(channels) if channels is not None else tuple(f"ch{i}" for i in range(X.shape[1]))
        train = WindowSet(X, y_index.astype(np.int64), subject.astype(np.int64), channels, tuple(_label(c) for c in classes))
        self.fit_windows(train, teacher=teacher)
        self.classes_ = classes  # in y's own type, as scikit-learn's classifiers return them
        return self

    def fit_windows(self, train: WindowSet, validation: WindowSet | None = None, teacher: HARClassifier | None = None) -> HARClassifier:
        """Train on a `WindowSet`, keeping its class order and channel names (what the CLI calls).

        With a fitted `teacher` (say a 5-member ensemble) every member fits the teacher's mean class
        probabilities of the training windows instead of their labels, with the same recipe
        (distillation, Hinton et al. 2015, at temperature 1): one model that predicts at a member's cost."""
        from harcnn.data.splits import fold_of
        from harcnn.train.fit import fit_population, split  # training code only where training happens: inference imports none

        settings, hparams, seeds = self.checked_params()
        if self.model == AUTO:
            return self._fit_auto(train, validation, teacher)
        if teacher is not None:
            _check_teacher(teacher, train)
        joined.check(settings["join"], (train.n_channels, len(train.classes), train.seq_len))
        data = split(
            settings, train, fold_of(seeds[0], settings["cv_folds"]), validation=validation, teacher=teacher and teacher.predict_proba
        )
        fitted = fit_population(self.model, hparams, settings, data, seeds, on_epoch=self._report)
        self.history_ = fitted.history
        taught = (
            {"teacher": {"model": teacher.meta_.model, "members": teacher.meta_.members, "seeds": list(teacher.meta_.seeds)}}
            if teacher
            else {}
        )
        self._set_fitted(fitted.net.eval(), ModelMeta(
            model=self.model, hparams=hparams, seq_len=train.seq_len, channels=train.channels, classes=train.classes,
            members=len(seeds), seeds=tuple(seeds), transform=fitted.transform,
            training={**settings, "wall_s": round(fitted.wall_s, 2), **taught}, pipeline=_pipeline_of(train),
            harcnn_version=harcnn.__version__, torch_version=torch.__version__,
        ))  # fmt: skip
        if settings["join"]:
            self._join(settings["join"], data, seeds[0])
        return self

    def _join(self, names: tuple[str, ...], data, seed: int) -> None:
        """Peers `names` (aeon's defaults) fitted from `seed` on the windows the population trained on
        (`data`, a `train.fit.Split`), as given, then every part calibrated and weighted on the
        held-out subjects (`models.joined`)."""
        held_out = (data.given_validation.X, data.given_validation.y)
        cnn = self._member_logits(held_out[0]).numpy()
        peers, weights, temperatures = joined.fit_and_weigh(names, (data.given_train.X, data.given_train.y), held_out, cnn, seed)
        self.with_peers(peers, list(weights), list(temperatures))
        if self.verbose:
            shares = ", ".join(f"{name} {100 * w:.0f} %" for name, w in zip((self.model, *names), weights))
            print(f"joined: {shares} (weighed on {len(np.unique(data.validation.subject))} held-out subjects)", flush=True)

    def _fit_auto(self, train: WindowSet, validation: WindowSet | None, teacher: HARClassifier | None) -> HARClassifier:
        """`harcnn auto` on the training windows (`groups` are the subjects it folds): the chosen model
        becomes this one's fitted state, and what was tried, `auto_`."""
        from harcnn.experiments import auto

        if validation is not None or teacher is not None:
            raise HarcnnError(
                "HARClassifier: model='auto' folds the training subjects itself; it takes no validation windows and no teacher"
            )
        model, choice, refit_s = auto.run(train, self.budget, echo=print if self.verbose else lambda line: None)
        self.auto_, _ = auto.report(choice, 60 * self.budget, refit_s, model.meta_.members, None)
        self.history_ = model.history_
        self._set_fitted(model.net_, model.meta_, model.peers_)
        return self

    def _report(self, epoch: int, history) -> None:
        """After each epoch: one note if min_steps raised the epochs (once, at the first), and with
        `verbose` a line `epoch k/N` with the epochs it will really train."""
        if epoch == 0 and history.epochs > self.epochs:
            warnings.warn(
                f"min_steps = {self.min_steps}: {history.epochs} epochs instead of {self.epochs}, for at least {self.min_steps} "
                "optimiser steps on these training windows",
                HarcnnWarning,
                stacklevel=2,
            )
        if not self.verbose:
            return
        line = f"epoch {epoch + 1}/{history.epochs}: train loss {np.mean(history.train_loss[-1]):.4f}, accuracy {np.mean(history.train_accuracy[-1]):.4f}"
        if history.val_accuracy:
            line += f", validation loss {np.mean(history.val_loss[-1]):.4f}, accuracy {np.mean(history.val_accuracy[-1]):.4f}"
        if history.stopped and any(history.stopped):
            line += f" ({sum(1 for s in history.stopped if s)} of {len(history.stopped)} members stopped early)"
        print(line, flush=True)

    def _set_fitted(self, net: PopulationModel, meta: ModelMeta, peers: list = ()) -> None:
        self.net_, self.meta_ = net, meta
        self.peers_ = list(peers)  # fitted aeon classifiers, weighted as `meta.peers` says
        self.classes_ = np.array(meta.classes)
        self.channels_ = meta.channels
        self.n_features_in_ = meta.c_in
        self.transform_ = meta.transform

    @property
    def pipeline_(self) -> Pipeline | None:
        """How recordings become this model's windows: as trained (`data recordings`, UCI HAR, HAPT);
        UCI HAR's for a model of its nine channels saved before models recorded it; else None."""
        check_is_fitted(self, "net_")
        if self.meta_.pipeline is not None:
            return self.meta_.pipeline
        return UCI_HAR if tuple(self.channels_) == UCI_HAR.output_channels else None

    # -- prediction --

    def member_proba(self, X) -> np.ndarray:
        """Every member's class probabilities, `(members, n, n_classes)`."""
        check_is_fitted(self, "net_")
        return torch.softmax(self._member_logits(_windows(X, "X", self.layout)), -1).numpy()

    def _member_logits(self, X: np.ndarray) -> torch.Tensor:
        """Every member's logits of windows `X` already checked by `_windows`."""
        want = (self.meta_.c_in, self.meta_.seq_len)
        any_length = type(self.net_).ANY_LENGTH
        if X.shape[1] != want[0] or (X.shape[2] != want[1] and not any_length):
            raise HarcnnError(f"the model expects windows of shape (n, {want[0]}, {want[1]}), got {X.shape}")
        if self.transform_ is not None:
            X = self.transform_.apply(X)
        if not len(X):
            return torch.zeros((self.meta_.members, 0, len(self.classes_)))
        logits = predict_logits(self.net_, X, default_device()).cpu()
        if not torch.isfinite(logits).all():
            raise HarcnnError("the model's outputs are NaN or infinite for these windows (windows far outside the training range?)")
        return logits

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities `(n, n_classes)`, columns in `classes_` order; an ensemble's are its
        members' mean, and with peers the weighted mean of that and theirs (`ModelMeta.peers`), each
        at the temperature it was calibrated to."""
        check_is_fitted(self, "net_")
        if not self.meta_.peers:
            return self.member_proba(X).mean(0)
        from harcnn.models.peers import PEERS

        X = _windows(X, "X", self.layout)  # the peers read the windows as given, before the population's standardisation
        proba = (1 - self.meta_.peer_weight) * torch.softmax(self._member_logits(X) / self.meta_.temperature, -1).numpy().mean(0)
        if not len(proba):
            return proba
        for part, fitted in zip(self.meta_.peers, self.peers_):
            proba += part["weight"] * PEERS[part["model"]].calibrated(fitted, X, len(self.classes_), part["temperature"])
        return proba

    def with_peers(self, peers: list[tuple[str, dict, int, object]], weights: list[float], temperatures: list[float]) -> HARClassifier:
        """Join fitted peers `(model, hparams, seed, fitted)` to the population: `weights` are the
        population's and then each peer's share of the prediction (normalised here), `temperatures`
        what each one's scores are divided by before the softmax (calibrated on unseen windows)."""
        check_is_fitted(self, "net_")
        total = float(sum(weights))
        parts = [
            {
                "model": name,
                "hparams": hparams,
                "seed": seed,
                "weight": w / total,
                "temperature": float(t),
                "sha256": "",
            }  # the checksum: of the file `save` writes
            for (name, hparams, seed, _), w, t in zip(peers, weights[1:], temperatures[1:])
        ]
        meta = replace(self.meta_, peers=tuple(parts), temperature=float(temperatures[0]))
        self._set_fitted(self.net_, meta, [p[3] for p in peers])
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "net_")
        return self.classes_[self.predict_proba(X).argmax(1)]

    # -- persistence --

    def save(self, path: str | Path) -> Path:
        """Write the model folder (`model.safetensors` + `model.json`) that every CLI command reads."""
        check_is_fitted(self, "net_")
        from harcnn.models import peer_files
        from harcnn.models.peers import PEERS

        files = tuple(peer_files.dumps(PEERS[p["model"]], f) for p, f in zip(self.meta_.peers, self.peers_))
        peers = tuple({**p, "sha256": peer_files.sha256(data)} for p, data in zip(self.meta_.peers, files))
        return save_model(Path(path), self.net_.state_dict(), replace(self.meta_, peers=peers), files)

    def with_meta(self, **fields) -> HARClassifier:
        """Record more about the model (`data`, `test_accuracy`, `training`) in what `save` writes."""
        self.meta_ = replace(self.meta_, **fields)
        return self

    @classmethod
    def load(cls, path: str | Path) -> HARClassifier:
        """A fitted classifier from a model folder written by `save` or `harcnn train`."""
        net, meta, peers = load_model(path)
        recorded = {k: meta.training[k] for k in SETTINGS if k in meta.training}
        clf = cls(model=meta.model, members=meta.members, random_state=meta.seeds[0], **recorded, **meta.hparams)
        clf.standardize = meta.transform is not None
        clf._set_fitted(net.to(default_device()), meta, peers)
        return clf


HARClassifier.__init__.__signature__ = inspect.Signature(  # what `get_params`, `clone` and `help` read
    [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    + [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d) for k, d in (("model", "cnn"), ("verbose", False))]
    + [
        inspect.Parameter(s.name, inspect.Parameter.KEYWORD_ONLY, default=s.default, annotation=s.kind)
        for s in (ESTIMATOR | SETTINGS).values()
    ]
    + [inspect.Parameter("hparams", inspect.Parameter.VAR_KEYWORD)]
)


def _pipeline_of(train: WindowSet) -> Pipeline | None:
    """The pipeline a model of these windows saves: theirs, trimmed to the channels they keep (windows
    of a subset of a dataset's channels); None, with a warning, where it cannot be (UCI HAR's filters
    make all nine channels together), so that `save` never writes a model that `load` refuses."""
    pipeline = train.pipeline
    if pipeline is None or pipeline.output_channels == train.channels:
        return pipeline
    trimmed = pipeline.only(train.channels)
    if trimmed is None:
        warnings.warn(
            f"the windows keep channels {list(train.channels)} of the {list(pipeline.output_channels)} their pipeline makes, which it "
            "cannot make alone; the model will predict on windows, not on recordings",
            HarcnnWarning,
            stacklevel=3,
        )
    return trimmed


def _check_teacher(teacher: HARClassifier, train: WindowSet) -> None:
    """A teacher must be fitted and read the same channels, and know the same classes in the same order,
    as the windows it teaches on: its probabilities are the student's targets column by column."""
    if not isinstance(teacher, HARClassifier):
        raise HarcnnError(f"teacher must be a fitted HARClassifier (or a model folder to the CLI), got {type(teacher).__name__}")
    check_is_fitted(teacher, "net_")
    for what, theirs, ours in (("classes", teacher.meta_.classes, train.classes), ("channels", teacher.meta_.channels, train.channels)):
        if tuple(theirs) != tuple(ours):
            raise HarcnnError(f"teacher: its {what} {list(theirs)} differ from the training windows' {list(ours)}")
    if train.pipeline is not None and teacher.pipeline_ is not None and teacher.pipeline_ != train.pipeline:
        raise HarcnnError(
            f"teacher: its windows were cut as {teacher.pipeline_.describe()}; the training windows as {train.pipeline.describe()}"
        )
    if teacher.meta_.seq_len != train.seq_len:
        raise HarcnnError(f"teacher: it reads windows of {teacher.meta_.seq_len} steps, the training windows have {train.seq_len}")


def _labels(y, n: int) -> np.ndarray:
    """Class labels as scikit-learn takes them: one per window, binary or multiclass, never continuous."""
    if y is None:
        raise HarcnnError("HARClassifier requires y to be passed, but the target y is None")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim != 1 or len(y) != n:
        raise HarcnnError(f"y must hold one label per window ({n}), got shape {y.shape}")
    if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
        raise HarcnnError(f"y: label {int(np.argmax(~np.isfinite(y)))} is NaN or infinite")
    kind = type_of_target(y, raise_unknown=True)
    if kind not in ("binary", "multiclass"):
        raise HarcnnError(f"y must hold class labels, got a {kind} target (for example {y[0]!r}); harcnn classifies, it does not regress")
    return y


def _label(value):
    """A class label as JSON keeps it: numpy integers become ints, everything else a string."""
    return int(value) if isinstance(value, np.integer | int) and not isinstance(value, bool) else str(value)


def _windows(X, name: str, layout: str, channels=None) -> np.ndarray:
    """`X` as float32 windows `(n, c, t)`; a 2-D `(n, t)` is n univariate series, as aeon reads it.
    scikit-learn's `check_array` gives its usual messages (sparse, complex, empty, object arrays)."""
    if X is None:
        raise HarcnnError(f"{name}: windows are required, got None")
    try:
        X = check_array(X, allow_nd=True, dtype=np.float32, ensure_all_finite=False, ensure_min_samples=0, ensure_2d=False)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None
    except ValueError as e:
        raise HarcnnError(f"{name}: {str(e).splitlines()[0]}") from None  # scikit-learn's messages go on with the array's values
    if X.ndim == 2:
        X = X[:, None, :]
    if X.ndim != 3:
        raise HarcnnError(
            f"{name} must be windows (n, channels, steps), or (n, steps) for one channel, got shape {X.shape}. Reshape your data"
        )
    if 0 in X.shape[1:]:
        raise HarcnnError(
            f"{name} must hold windows of at least one channel and one step: 0 feature(s) (shape={X.shape}) while a minimum of 1 is required"
        )
    X = channels_first(X, layout, name, channels and tuple(channels))
    w = first_nonfinite(X)
    if w is not None:
        raise HarcnnError(f"{name}: window {w} holds NaN or infinity")
    return np.ascontiguousarray(X)


load = HARClassifier.load
