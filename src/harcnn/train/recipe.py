"""Plain data types of training: how to train (`Recipe`) and what came out per epoch (`History`)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipe:
    """How to train: the tutorial's Keras settings by default (Adam lr 1e-3, eps 1e-7, batch 32)."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    eps: float = 1e-7


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
