"""Train R independent members of one configuration at once.

A repeat is a seed. Member r gets its own initialisation, its own order of training windows and
its own dropout masks, all drawn from `torch.Generator(seed_r)` in the same order a lone run would
draw them, so member r ends where a separate run with seed r ends (up to float summation order in
batched matmuls). Training them as one population multiplies the work per step by R, which is what
makes repeated evaluation cheap: a batch of 32 windows is too little work for one step on its own.

The trainer knows nothing about the model but that it maps `(R, B, c, t)` windows to
`(R, B, n_classes)` logits and is built from population layers.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import harcnn
from harcnn.data.transforms import Standardize
from harcnn.data.windows import WindowSet
from harcnn.errors import HarcnnError
from harcnn.models.inference import default_device, predict_logits
from harcnn.models.layers import bind_generators, check_finite, reset_members
from harcnn.train.adam import Adam
from harcnn.train.augment import Augmenter, Mixed
from harcnn.train.checkpoint import load_checkpoint, save_checkpoint
from harcnn.train.early_stopping import EarlyStopping
from harcnn.train.recipe import History, Recipe
from harcnn.train.runtime import flushing_denormals

CHECKPOINT_EVERY = 60.0  # seconds of training between two checkpoints of a population


def member_generators(seeds: list[int], device: torch.device) -> list[torch.Generator]:
    return [torch.Generator(device=device).manual_seed(int(s)) for s in seeds]


def train_population(
    model: nn.Module,
    train: WindowSet,
    seeds: list[int],
    recipe: Recipe = Recipe(),
    *,
    validation: WindowSet | None = None,
    on_epoch: Callable[[int, History], None] | None = None,
    device: torch.device | None = None,
    checkpoint: Path | None = None,
    checkpoint_every: float | None = None,
    standardized: Standardize | None = None,
    soft_targets: np.ndarray | None = None,
) -> History:
    """Initialise member r of `model` from `seeds[r]` and train all members for `recipe.epochs`.

    `soft_targets` `(n, classes)`, class probabilities of `train`'s windows (a teacher's), replace the
    labels as what the loss fits (distillation); the labels still count the training accuracy.

    With `checkpoint`, the population's state is saved there after an epoch once `checkpoint_every`
    (default CHECKPOINT_EVERY) seconds have passed since the last save (not after the last epoch: the
    caller stores the result), and training resumes from it when it holds the same seeds and recipe. An interruption thus loses
    at most about a minute; saving the multi-head population took 0.1-0.25 s, every epoch 2 s a study.
    `standardized` is the standardisation `train` went through, so that rotations act on physical axes.

    Denormal floats are flushed to zero while it trains (see `train.runtime`), and the thread's
    previous setting is restored when it returns.
    """
    with flushing_denormals():
        device = device or default_device()
        every = CHECKPOINT_EVERY if checkpoint_every is None else checkpoint_every
        return _train(
            model, train, seeds, recipe, validation=validation, on_epoch=on_epoch, device=device, checkpoint=checkpoint,
            checkpoint_every=every, standardized=standardized, soft_targets=soft_targets,
        )  # fmt: skip


def _losses(logits: torch.Tensor, targets: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    """Cross-entropy of every member's every window, `(R, B)`, against class indices `(R, B)` or
    class probabilities `(R, B, classes)`."""
    flat = F.cross_entropy(logits.flatten(0, 1), targets.flatten(0, 1), reduction="none", label_smoothing=label_smoothing)
    return flat.view(logits.shape[0], -1)


def _train(
    model, train, seeds, recipe, *, validation, on_epoch, device, checkpoint, checkpoint_every, standardized, soft_targets
) -> History:
    model.to(device)
    augmenter = Augmenter(recipe, train.channels, *((standardized.mean, standardized.std) if standardized is not None else ()))
    generators = member_generators(seeds, device)
    reset_members(model, generators)
    bind_generators(model, generators)
    optimizer = Adam(model.parameters(), lr=recipe.lr, eps=recipe.eps, weight_decay=recipe.weight_decay)
    X = torch.from_numpy(train.X).to(device)
    y = torch.from_numpy(train.y).to(device)
    members, n = len(seeds), len(train)
    history, first_epoch = History(), 0
    about = {"seeds": list(seeds), "recipe": asdict(recipe), "model": repr(model), "harcnn": harcnn.__version__}
    soft = None
    if soft_targets is not None:
        soft_targets = _checked_soft(soft_targets, train)
        soft = torch.from_numpy(soft_targets).to(device)
        about["soft_targets"] = hashlib.sha256(soft_targets.tobytes()).hexdigest()  # another teacher's checkpoint is not this run's
    tag = json.dumps(about)
    stopping = EarlyStopping(recipe.early_stopping, model, members) if recipe.early_stopping and validation is not None else None
    if checkpoint is not None and (
        restored := load_checkpoint(checkpoint, tag, model, optimizer, generators=generators, stopping=stopping)
    ):
        last_epoch, history = restored
        first_epoch = last_epoch + 1
    history.epochs = recipe.epochs
    saved = time.perf_counter()
    steps_per_epoch = -(-n // recipe.batch_size)
    low_precision = recipe.precision == "bfloat16"
    for epoch in range(first_epoch, recipe.epochs):
        started = time.perf_counter()
        model.train()
        order = torch.stack([torch.randperm(n, generator=g, device=device) for g in generators])
        loss_sum = torch.zeros(members, device=device)
        correct = torch.zeros(members, device=device)
        for step, start in enumerate(range(0, n, recipe.batch_size)):
            index = order[:, start : start + recipe.batch_size]
            labels = y[index]
            targets = labels if soft is None else soft[index]
            batch = augmenter(X[index], targets, generators) if augmenter.active else Mixed(X[index])
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=low_precision):
                logits = model(batch.windows).float()
            losses = _losses(logits, targets, recipe.label_smoothing)
            if batch.partner is not None:  # mixup: the loss blended with the partners' as the windows were
                w = batch.weight[:, None]
                losses = w * losses + (1 - w) * _losses(logits, batch.partner, recipe.label_smoothing)
            optimizer.set_lr(recipe.lr_at(epoch * steps_per_epoch + step, recipe.epochs * steps_per_epoch))
            optimizer.zero_grad()
            losses.mean(1).sum().backward()
            optimizer.step()
            loss_sum += losses.detach().sum(1)
            correct += (logits.detach().argmax(-1) == labels).sum(1)
        history.train_loss.append((loss_sum / n).tolist())
        history.train_accuracy.append((correct / n).tolist())
        history.epoch_seconds.append(time.perf_counter() - started)
        if validation is not None:
            logits = predict_logits(model, validation.X, device)
            targets = torch.from_numpy(validation.y).to(device).expand(members, -1)
            history.val_loss.append(
                F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none").view(members, -1).mean(1).tolist()
            )
            history.val_accuracy.append((logits.argmax(-1) == targets).float().mean(1).tolist())
        done = stopping is not None and stopping.update(epoch, history.val_loss[-1], model)
        if stopping is not None:
            history.stopped = list(stopping.stopped)
        if checkpoint is not None and epoch < recipe.epochs - 1 and not done and time.perf_counter() - saved >= checkpoint_every:
            save_checkpoint(checkpoint, tag, epoch, model, optimizer, generators=generators, history=history, stopping=stopping)
            saved = time.perf_counter()
        if on_epoch is not None:
            on_epoch(epoch, history)
        if done:
            break
    if stopping is not None:
        stopping.restore(model)
    check_finite(model)
    return history


def _checked_soft(soft: np.ndarray, train: WindowSet) -> np.ndarray:
    """Soft targets as float32 rows of class probabilities, one per training window."""
    soft = np.asarray(soft, dtype=np.float32)
    if soft.shape != (len(train), len(train.classes)):
        raise HarcnnError(f"soft targets must be ({len(train)}, {len(train.classes)}) class probabilities, got shape {soft.shape}")
    if not (np.isfinite(soft).all() and (soft >= 0).all() and np.allclose(soft.sum(1), 1, atol=1e-3)):
        raise HarcnnError("soft targets must be class probabilities: finite, non-negative, each row summing to 1")
    return soft
