"""Epoch checkpoints of a training population, so an interrupted study resumes mid-training.

Everything that decides the rest of training is saved: weights, Adam's moments, every member's
random-generator state and the learning curves so far. A resumed population therefore ends exactly
where an uninterrupted one would. Safetensors plus JSON, never a pickle.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from harcnn.train.adam import Adam
from harcnn.train.early_stopping import EarlyStopping
from harcnn.train.recipe import History


def save_checkpoint(
    path: Path,
    tag: str,
    epoch: int,
    model: nn.Module,
    optimizer: Adam,
    *,
    generators: list[torch.Generator],
    history: History,
    stopping: EarlyStopping | None = None,
) -> None:
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tensors.update({f"optim.{k}": v.detach().cpu().contiguous() for k, v in optimizer.state_tensors().items()})
    tensors.update({f"rng.{r}": g.get_state() for r, g in enumerate(generators)})
    meta = {"tag": tag, "epoch": epoch, "history": asdict(history)}
    if stopping is not None:
        meta["stopping"], best = stopping.state()
        tensors.update({f"best.{k}": v.detach().cpu().contiguous() for k, v in best.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(tensors, tmp, metadata={"harcnn": json.dumps(meta)})
    os.replace(tmp, path)


def load_checkpoint(
    path: Path,
    tag: str,
    model: nn.Module,
    optimizer: Adam,
    *,
    generators: list[torch.Generator],
    stopping: EarlyStopping | None = None,
) -> tuple[int, History] | None:
    """Restore a checkpoint written for the same `tag` (configuration and seeds); None if there is none."""
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as f:
            header_len = int.from_bytes(f.read(8), "little")
            meta = json.loads(json.loads(f.read(header_len))["__metadata__"]["harcnn"])
        if meta["tag"] != tag:
            return None
        tensors = load_file(path)
    except (OSError, ValueError, KeyError, SafetensorError):
        return None  # a checkpoint cut short by a crash: start the population again
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    optimizer.load_state_tensors({k[6:]: v for k, v in tensors.items() if k.startswith("optim.")})
    for r, g in enumerate(generators):
        g.set_state(tensors[f"rng.{r}"])
    if stopping is not None:
        stopping.load(meta["stopping"], {k[5:]: v for k, v in tensors.items() if k.startswith("best.")})
    return meta["epoch"], History(**meta["history"])
