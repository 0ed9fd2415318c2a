"""How much memory one member of a population needs, estimated on the meta device (nothing is allocated)."""

from __future__ import annotations

import torch

from harcnn.models.inference import EVAL_BATCH

# Up to this many weights the layer sizes come from a forward pass of one window on the CPU (the
# weights allocated, not initialised): on the meta device batch norm and in-place ReLU run through
# decompositions whose first use imports torch._dynamo, 1.1-1.4 s of every command that checks
# memory before training. Larger models stay on the meta device, which allocates nothing.
CPU_SIZING_WEIGHTS = 1 << 24


def population_member_bytes(model: torch.nn.Module, c_in: int, seq_len: int, n_windows: int, batch_size: int) -> int:
    """Weights, their gradient and Adam's two moments; four times every layer's output for a training
    batch (kept for the backward pass, its gradient, and the copies that concatenations and masks
    make); and four times the largest layer output of an evaluation batch (evaluation keeps only a
    layer's input, output and a shortcut). `model` is one member built on the meta device. Against
    the peak RSS of a population here (ResNet, 10 members: 1.3 GB; multi-head, 10: 1.4 GB;
    InceptionTime, 5: 1.8 GB) that overestimates by 1.05-2x; the old bound, every activation of an
    evaluation batch, overestimated ResNet tenfold and split its populations into threes."""
    n_weights = sum(p.numel() for p in model.parameters())
    if n_weights <= CPU_SIZING_WEIGHTS:
        model = model.to_empty(device="cpu")
    sizes = []  # every layer's output for one window
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.numel())) for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 1, c_in, seq_len, device=next(model.parameters()).device))
    for h in hooks:
        h.remove()
    weights = 4 * n_weights
    return 4 * (weights + 4 * sum(sizes) * batch_size + 4 * max(sizes) * min(EVAL_BATCH, n_windows))
