"""The one registry of models: each entry, a CNN family or an aeon peer, answers every question the
rest of harcnn asks of a model (hyperparameters, input check, memory, description, layer table,
fit -> class probabilities), so that nothing outside this module and its entries asks which kind
a model is."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from harcnn.errors import HarcnnError
from harcnn.models.cnn import CNN
from harcnn.models.convlstm import DeepConvLSTM
from harcnn.models.fcn import FCN
from harcnn.models.inception import InceptionTime
from harcnn.models.inference import predict_logits
from harcnn.models.layers import PopulationModel
from harcnn.models.memory import population_member_bytes
from harcnn.models.multihead import MultiHeadCNN
from harcnn.models.peers import PEERS, Peer
from harcnn.models.resnet import ResNet
from harcnn.models.summary import network_layer_table

MAX_SIZE = 1 << 16  # largest width, kernel or pooling size a hyperparameter may name


@dataclass(frozen=True)
class FitRequest:
    """What an entry fits on and predicts for, as arrays (models know nothing of datasets): windows
    `(n, c, t)` and label ids, the seeds, the windows `X` to give probabilities for, and the trainer
    that trains a built population (models know nothing of training either)."""

    X_train: np.ndarray
    y_train: np.ndarray
    n_classes: int
    seeds: list[int]
    X: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None = None
    threads: int = 1
    train_population: Callable[[PopulationModel], object] | None = None  # -> a History with `member(r)` curves
    scores: bool = False  # give class scores (log-probabilities, or a ridge's decision values) for the caller to calibrate


@dataclass(frozen=True)
class Network:
    """A CNN family: one class of population layers; its seeds train together as one population."""

    name: str
    cls: type[PopulationModel]
    population = True

    def hyperparameters(self) -> dict[str, object]:
        fixed = {"self", "c_in", "n_classes", "seq_len", "members"}
        return {k: p.default for k, p in inspect.signature(self.cls).parameters.items() if k not in fixed}

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.hyperparameters().items())
        length = "windows of any length (global average pooling)" if self.cls.ANY_LENGTH else "windows of the length it was built for"
        return f"{self.name}: {params}; {length}" + (f"; {self.cls.WINDOW_SCALING}" if self.cls.WINDOW_SCALING else "")

    def build(self, c_in: int, n_classes: int, seq_len: int, members: int = 1, **hparams) -> PopulationModel:
        check_hyperparameters(self.name, self.hyperparameters(), hparams)
        if "kernels" in hparams:
            hparams["kernels"] = tuple(hparams["kernels"])
        for key, value in (("c_in", c_in), ("n_classes", n_classes), ("seq_len", seq_len), ("members", members)):
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SIZE * 16:
                raise HarcnnError(f"model {self.name!r}: {key} must be a whole number from 1 to {MAX_SIZE * 16}, got {value!r}")
        try:
            return self.cls(c_in, n_classes, seq_len, members=members, **hparams)
        except ValueError as e:
            raise HarcnnError(f"model {self.name!r}: {e}") from None

    def check_input(self, c_in: int, n_classes: int, seq_len: int, hparams: dict) -> None:
        """Built once on the meta device (no memory): windows it cannot take are refused there."""
        with torch.device("meta"):
            self.build(c_in, n_classes, seq_len, **hparams)

    def member_bytes(self, hparams: dict, c_in: int, n_classes: int, seq_len: int, n_windows: int, batch_size: int) -> int:
        with torch.device("meta"):
            model = self.build(c_in, n_classes, seq_len, **hparams)
        return population_member_bytes(model, c_in, seq_len, n_windows, batch_size)

    def members_in(self, budget: int, per_member: int) -> int:
        """As many seeds as fit in `budget` bytes train together."""
        return max(1, budget // per_member)

    def layer_table(self, c_in: int, n_classes: int, seq_len: int, hparams: dict) -> list[dict]:
        return network_layer_table(self.build(c_in, n_classes, seq_len, **hparams).eval(), c_in, seq_len)

    def check_saveable(self, where: str) -> None:
        """A network is trained and saved by `HARClassifier`: nothing to refuse."""

    def check_available(self) -> None:
        """A network needs nothing beyond harcnn's own dependencies."""

    def check_joinable(self) -> None:
        """Peers join a network (the `join` setting): nothing to refuse."""

    def fit_predict_proba(self, hparams: dict, request: FitRequest) -> tuple[np.ndarray, list[dict]]:
        """Every seed trained as one population by the request's trainer; each member's probabilities
        (or with `request.scores` log-probabilities) of `request.X` `(R, n, classes)` and its learning curves."""
        c_in, seq_len = request.X_train.shape[1:]
        net = self.build(c_in, request.n_classes, seq_len, members=len(request.seeds), **hparams)
        history = request.train_population(net)
        logits = predict_logits(net, request.X)
        proba = (logits.log_softmax(-1) if request.scores else logits.softmax(-1)).cpu().numpy()
        return proba, [history.member(r) for r in range(len(request.seeds))]


NETWORKS: dict[str, type[PopulationModel]] = {
    "cnn": CNN,
    "multihead": MultiHeadCNN,
    "fcn": FCN,
    "resnet": ResNet,
    "inception": InceptionTime,
    "convlstm": DeepConvLSTM,
}
REGISTRY: dict[str, Network | Peer] = {name: Network(name, cls) for name, cls in NETWORKS.items()} | PEERS


def get(name: object) -> Network | Peer:
    """The registry's entry for `name`, or an error that lists the registered names."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise HarcnnError(f"unknown model {name!r}; registered: {list(REGISTRY)}")
    return REGISTRY[name]


def check_hyperparameters(model: str, known: dict, hparams: dict) -> None:
    """Refuse hyperparameters that are not among `known` (name -> default) or out of range."""
    unknown = sorted(set(hparams) - set(known))
    if unknown:
        raise HarcnnError(f"model {model!r} has no hyperparameter {unknown[0]!r}; it has {sorted(known)}")
    for key, value in {**known, **hparams}.items():
        check_hyperparameter(model, key, value, known[key])


def check_hyperparameter(model: str, key: str, value, default) -> None:
    """Whole-number sizes are 1..MAX_SIZE, floats finite, dropout rates in [0, 1), lists of sizes non-empty."""
    where = f"model {model!r}: {key}"
    if isinstance(default, bool) or isinstance(value, bool):
        if not isinstance(value, bool) or not isinstance(default, bool):
            raise HarcnnError(f"{where} must be {type(default).__name__}, got {value!r}")
    elif isinstance(default, int):
        if not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
            raise HarcnnError(f"{where} must be a whole number from 1 to {MAX_SIZE}, got {value!r}")
    elif isinstance(default, float):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise HarcnnError(f"{where} must be a finite number, got {value!r}")
        if "dropout" in key and not 0 <= value < 1:
            raise HarcnnError(f"{where} must be a rate in [0, 1), got {value!r}")
    elif isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not value:
            raise HarcnnError(f"{where} must be a non-empty list of whole numbers, got {value!r}")
        for v in value:
            check_hyperparameter(model, key, v, default[0])
