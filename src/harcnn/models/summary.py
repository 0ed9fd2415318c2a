"""A layer table of a network (type, output shape, parameters), like Keras' `model.summary()`."""

import torch
from torch import nn


def network_layer_table(model: nn.Module, c_in: int, seq_len: int) -> list[dict]:
    """One row per leaf layer of a single-member `model`, in call order, shapes without the batch and member axes."""
    rows: list[dict] = []

    def record(module: nn.Module, _inputs, output) -> None:
        rows.append(
            {
                "layer": names[module],
                "type": type(module).__name__.removeprefix("Pop"),
                "output": _shape(output),
                "params": sum(p[0].numel() for p in module.parameters()),
            }
        )

    names = {m: n for n, m in model.named_modules()}
    hooks = [m.register_forward_hook(record) for m in model.modules() if not list(m.children())]
    with torch.no_grad():
        model(torch.zeros(1, 1, c_in, seq_len))
    for h in hooks:
        h.remove()
    return rows


def _shape(output: torch.Tensor) -> tuple[int, ...]:
    """A lone model's output shape as Keras prints it: images `(B, c, 1, t)` as (t, c), vectors `(R, B, f)` as (f,)."""
    if output.dim() == 4:
        return (output.shape[3], output.shape[1])
    return tuple(output.shape[2:])
