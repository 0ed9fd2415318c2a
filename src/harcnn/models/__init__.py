"""Models: the registry (`models.registry`) of CNN families, built as populations with the shared
signature `(c_in, n_classes, seq_len, members=..., **hparams)`, and aeon peers (`models.peers`).

To add a network, write one file with population layers (see `models.layers`) and register it in
`registry.NETWORKS`; the generic test in tests/test_models.py then checks it.

    >>> from harcnn import models
    >>> models.list_models(peers=False)
    ['cnn', 'multihead', 'fcn', 'resnet', 'inception', 'convlstm']
    >>> net = models.create("cnn", c_in=9, n_classes=6, seq_len=128, filters=32)
"""

from __future__ import annotations

import torch

from harcnn.models.layers import PopulationModel, bind_generators, reset_members
from harcnn.models.peers import PEERS
from harcnn.models.registry import MAX_SIZE, NETWORKS, REGISTRY, FitRequest, check_hyperparameter, get

__all__ = ["MAX_SIZE", "NETWORKS", "PEERS", "REGISTRY", "FitRequest", "build", "check_hyperparameter", "create", "get", "list_models"]


def list_models(peers: bool = True) -> list[str]:
    """The registered model names: the CNN families, then (with `peers`) the aeon peers."""
    return list(NETWORKS) + (list(PEERS) if peers else [])


def build(name: str, c_in: int, n_classes: int, seq_len: int, members: int = 1, **hparams) -> PopulationModel:
    """A network (or a population of `members`); unknown or out-of-range hyperparameters are an error."""
    return get(name).build(c_in, n_classes, seq_len, members=members, **hparams)


def create(name: str, c_in: int = 9, n_classes: int = 6, seq_len: int = 128, members: int = 1, seed: int = 0, **hparams) -> PopulationModel:
    """A model ready for any training loop: built, member r initialised from seed `seed + r` (Keras'
    initialisers) and its dropout drawing from that member's generator (CPU)."""
    model = build(name, c_in, n_classes, seq_len, members=members, **hparams)
    generators = [torch.Generator().manual_seed(seed + r) for r in range(members)]
    reset_members(model, generators)
    bind_generators(model, generators)
    return model
