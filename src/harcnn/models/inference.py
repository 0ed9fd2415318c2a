"""Running a trained population: its logits for windows, on the device training would use. The
training code and inference (`deploy`, the estimator's predict) share this; it imports no training."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

EVAL_BATCH = 512  # member-windows a batch: a population of 5 runs 102 windows at a time (as fast a window as 1 member's 512; 512 windows ran 2.5x slower a window)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def predict_logits(model: nn.Module, X: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    """Logits of every member for every window, `(R, n, n_classes)`, in large batches."""
    device = device or next(model.parameters()).device
    model.eval()
    members = next(model.parameters()).shape[0]
    batch = max(1, EVAL_BATCH // members)
    chunks = []
    for start in range(0, len(X), batch):
        x = torch.from_numpy(np.ascontiguousarray(X[start : start + batch])).to(device)
        chunks.append(model(x.expand(members, *x.shape)))
    return torch.cat(chunks, dim=1)
