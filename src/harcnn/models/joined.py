"""A CNN joined with peers (the `join` setting): a heterogeneous ensemble of models that make
different mistakes. Each peer is fitted on the windows the CNN trains on, as they were given (before
the CNN's standardisation: a saved model's peers read new windows so, `HARClassifier.predict_proba`),
from the seed of the CNN it joins. Then, on training subjects none of them saw, every part gets a
temperature, at which the softmax of its class scores has the least log loss (Guo et al., "On
calibration of modern neural networks", ICML 2017), and a weight, its accuracy there to the fourth
power, normalised (CAWPE: Large, Lines and Bagnall, "A probabilistic classifier ensemble weighting
scheme based on cross-validated accuracy estimates", DMKD 2019). `harcnn auto` calibrates and weighs
its ensembles with the same functions, on its folds."""

from __future__ import annotations

import numpy as np
import torch

from harcnn.models.peers import PEERS, softmax

EXPONENT = 4  # CAWPE's: a part's weight is its held-out accuracy to this power


def temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature T at which softmax(scores / T) gives windows `y` the least log loss."""
    from scipy.optimize import minimize_scalar

    def loss(log_t: float) -> float:
        z = scores / np.exp(log_t)
        z = z - z.max(1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y]))

    return float(np.exp(minimize_scalar(loss, bounds=(-6.0, 6.0), method="bounded").x))


def cawpe(accuracies: list[float]) -> tuple[float, ...]:
    """The parts' weights from their held-out accuracies, summing to one."""
    powered = np.asarray(accuracies, np.float64) ** EXPONENT
    return tuple(float(w) for w in powered / powered.sum())


def weigh(parts: list[np.ndarray], y: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Each part's weight and temperature from its class scores `(members, n, classes)` of held-out
    windows labelled `y`: a population's members share one temperature, and it is weighed by the
    accuracy of their mean."""
    temperatures = tuple(temperature(s.reshape(-1, s.shape[-1]), np.tile(y, len(s))) for s in parts)
    accuracies = [float((softmax(s / t).mean(0).argmax(-1) == y).mean()) for s, t in zip(parts, temperatures)]
    return cawpe(accuracies), temperatures


def combine(parts: list[np.ndarray], weights: tuple[float, ...], temperatures: tuple[float, ...]) -> np.ndarray:
    """The ensemble's class probabilities `(n, classes)`: each part's scores `(members, n, classes)`
    at its temperature, its members averaged, the parts weighted."""
    return sum(w * softmax(s / t).mean(0) for s, w, t in zip(parts, weights, temperatures))


def check(names: tuple[str, ...], shape: tuple[int, int, int] | None = None) -> None:
    """Refuse, before anything trains, joined peers that are not installed and, given the windows'
    `shape` (channels, classes, steps), windows too short for their kernels."""
    for name in names:
        PEERS[name].check_available()
        if shape is not None:
            PEERS[name].check_input(*shape, {})


def fit_peers(peers: list[tuple[str, dict]], X: np.ndarray, y: np.ndarray, seed: int, threads: int) -> list[tuple[str, dict, int, object]]:
    """Peers `(name, hparams)` fitted on windows `X` as given: `(name, hparams, seed, fitted)`."""
    return [(name, hparams, seed, PEERS[name].fit(hparams, X, y, seed, threads)) for name, hparams in peers]


def peer_scores(peers: list[tuple[str, dict, int, object]], X: np.ndarray, n_classes: int) -> list[np.ndarray]:
    """Each fitted peer's class scores of windows `X` as given, `(1, n, classes)`."""
    return [PEERS[name].scores(fitted, X, n_classes)[None] for name, _, _, fitted in peers]


def fit_and_weigh(
    names: tuple[str, ...], fit: tuple[np.ndarray, np.ndarray], held_out: tuple[np.ndarray, np.ndarray], cnn_scores: np.ndarray, seed: int
) -> tuple[list[tuple[str, dict, int, object]], tuple[float, ...], tuple[float, ...]]:
    """Peers `names` (aeon's defaults) fitted from `seed` on windows and labels `fit` (as given), then
    the parts weighed on `held_out` windows and labels: the CNN, by its scores of those windows
    `cnn_scores` `(members, n, classes)`, first. The fitted peers, the weights and the temperatures."""
    peers = fit_peers([(name, {}) for name in names], *fit, seed, torch.get_num_threads())
    weights, temperatures = weigh([cnn_scores, *peer_scores(peers, held_out[0], cnn_scores.shape[-1])], held_out[1])
    return peers, weights, temperatures
