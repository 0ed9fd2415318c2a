"""Early stopping, member by member, as Keras' `EarlyStopping(patience=N, restore_best_weights=True)`
on the validation loss.

Members of a population are independent, so a member that stops simply stops counting: it keeps
training with the others (its later weights are thrown away), and at the end every member gets the
weights of its epoch of lowest validation loss, and curves that end where it stopped: what a lone
run of it would have had. Training ends when every member has stopped.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class EarlyStopping:
    def __init__(self, patience: int, model: nn.Module, members: int):
        self.patience = patience
        self.best_loss = [math.inf] * members
        self.best_epoch = [-1] * members
        self.stopped = [0] * members  # epochs trained when it stopped; 0 while it goes on
        self.best = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def update(self, epoch: int, losses: list[float], model: nn.Module) -> bool:
        """Record epoch `epoch`'s validation losses; True once every member has stopped."""
        state = model.state_dict()
        for r, loss in enumerate(losses):
            if self.stopped[r]:
                continue
            if loss < self.best_loss[r]:
                self.best_loss[r], self.best_epoch[r] = loss, epoch
                for key, value in state.items():
                    self.best[key][r].copy_(value[r])
            elif epoch - self.best_epoch[r] >= self.patience:
                self.stopped[r] = epoch + 1
        return all(self.stopped)

    def restore(self, model: nn.Module) -> None:
        """Every member's weights of its lowest validation loss."""
        model.load_state_dict(self.best)

    # -- what a checkpoint keeps of it --

    def state(self) -> tuple[dict, dict[str, torch.Tensor]]:
        return {"best_loss": self.best_loss, "best_epoch": self.best_epoch, "stopped": self.stopped}, dict(self.best)

    def load(self, meta: dict, tensors: dict[str, torch.Tensor]) -> None:
        self.best_loss, self.best_epoch, self.stopped = meta["best_loss"], meta["best_epoch"], meta["stopped"]
        for key, value in tensors.items():
            self.best[key].copy_(value)
