"""Plain data types of training: how to train (`Recipe`) and what came out per epoch (`History`)."""

import math
from dataclasses import dataclass, field

SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class Recipe:
    """How to train: the tutorial's Keras settings by default (Adam lr 1e-3, eps 1e-7, batch 32).

    Each further ingredient is off by default and earns its place in a study (experiments/):
    `weight_decay` (decoupled, as AdamW), `schedule` ("cosine": linear warmup over a `warmup`
    fraction of the steps, then cosine decay to zero), `label_smoothing`, and augmentation drawn per
    member from its own generator (`scale`, `jitter`, `rotate`, `time_warp`, `mixup`: see
    `train.augment`).
    """

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    eps: float = 1e-7
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup: float = 0.0
    label_smoothing: float = 0.0
    scale: float = 0.0
    jitter: float = 0.0
    rotate: float = 0.0
    time_warp: float = 0.0
    mixup: float = 0.0

    def lr_at(self, step: int, total: int) -> float:
        """The learning rate of step `step` (0-based) of `total`."""
        if self.schedule == "constant":
            return self.lr
        warm = int(self.warmup * total)
        if step < warm:
            return self.lr * (step + 1) / warm
        progress = (step - warm) / max(1, total - warm)
        return 0.5 * self.lr * (1 + math.cos(math.pi * progress))


# The ingredients beyond the tutorial's settings; at their defaults they change nothing.
RECIPE_EXTRAS = ("weight_decay", "schedule", "warmup", "label_smoothing", "scale", "jitter", "rotate", "time_warp", "mixup")


@dataclass
class History:
    """Per-epoch learning curves, one row per member: train (running, as Keras reports) and validation."""

    train_loss: list[list[float]] = field(default_factory=list)
    train_accuracy: list[list[float]] = field(default_factory=list)
    val_loss: list[list[float]] = field(default_factory=list)
    val_accuracy: list[list[float]] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)  # training wall time of each epoch, shared by all members

    def member(self, r: int) -> dict[str, list[float]]:
        curves = {k: [epoch[r] for epoch in getattr(self, k)] for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")}
        return {**curves, "epoch_seconds": list(self.epoch_seconds)}
