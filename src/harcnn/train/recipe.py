"""Plain data types of training: how to train (`Recipe`) and what came out per epoch (`History`)."""

import math
from dataclasses import dataclass, field, make_dataclass, replace

from harcnn.settings import RECIPE, dataclass_fields

ADAM_EPS = 1e-7  # Keras' Adam epsilon, which the tutorial's figures were made with


class _RecipeMethods:
    @classmethod
    def from_settings(cls, settings: dict) -> "Recipe":
        """The recipe part of checked training settings (`harcnn.settings`)."""
        return cls(**{k: settings[k] for k in RECIPE})

    def for_windows(self, n: int) -> "Recipe":
        """This recipe on `n` training windows: its epochs, or more where they give fewer than `min_steps` optimiser steps."""
        steps_per_epoch = -(-n // self.batch_size)
        return replace(self, epochs=max(self.epochs, -(-self.min_steps // max(1, steps_per_epoch))))

    def lr_at(self, step: int, total: int) -> float:
        """The learning rate of step `step` (0-based) of `total`."""
        if self.schedule == "constant":
            return self.lr
        warm = int(self.warmup * total)
        if step < warm:
            return self.lr * (step + 1) / warm
        progress = (step - warm) / max(1, total - warm)
        return 0.5 * self.lr * (1 + math.cos(math.pi * progress))


Recipe = make_dataclass(
    "Recipe",
    dataclass_fields(RECIPE) + [("eps", float, field(default=ADAM_EPS))],
    bases=(_RecipeMethods,),
    frozen=True,
)
Recipe.__module__ = __name__  # for pickling into worker processes
Recipe.__doc__ = """How to train: the recipe settings of `harcnn.settings` (the tutorial's Keras settings by
default: Adam lr 1e-3, eps 1e-7, batch 32; every further ingredient off, earning its place in a
study) and Adam's epsilon. Augmentation is drawn per member from its own generator (`train.augment`)."""


@dataclass
class History:
    """Per-epoch learning curves, one row per member: train (running, as Keras reports) and validation."""

    train_loss: list[list[float]] = field(default_factory=list)
    train_accuracy: list[list[float]] = field(default_factory=list)
    val_loss: list[list[float]] = field(default_factory=list)
    val_accuracy: list[list[float]] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)  # training wall time of each epoch, shared by all members
    epochs: int = 0  # the epochs planned (the recipe's, or more for min_steps)
    stopped: list[int] = field(default_factory=list)  # with early stopping, the epochs each member trained before it stopped

    def member(self, r: int) -> dict[str, list[float]]:
        """Member r's curves, as a lone run of it would have them: up to the epoch it stopped at."""
        end = self.stopped[r] if self.stopped and self.stopped[r] else None
        curves = {k: [epoch[r] for epoch in getattr(self, k)][:end] for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")}
        return {**curves, "epoch_seconds": list(self.epoch_seconds)[:end]}
