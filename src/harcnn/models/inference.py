"""Running a trained population: its logits for windows, on the device training would use. The
training code and inference (`deploy`, the estimator's predict) share this; it imports no training."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

EVAL_BATCH = 512


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@torch.no_grad()
def predict_logits(model: nn.Module, X: np.ndarray, device: torch.device | None = None) -> torch.Tensor:
    """Logits of every member for every window, `(R, n, n_classes)`, in large batches."""
    device = device or next(model.parameters()).device
    model.eval()
    members = next(model.parameters()).shape[0]
    chunks = []
    for start in range(0, len(X), EVAL_BATCH):
        x = torch.from_numpy(np.ascontiguousarray(X[start : start + EVAL_BATCH])).to(device)
        chunks.append(model(x.expand(members, *x.shape)))
    return torch.cat(chunks, dim=1)
