"""Layers for populations: R independent copies of a layer held in one module.

Every tensor that flows between these layers is member-first, `(R, batch, ...)`, and time-major:
sequences are `(R, batch, steps, channels)`, Keras' own layout and the one oneDNN's convolutions
use natively (channels-first tensors cost a layout reorder before and after every convolution,
about 40% of its time here). Models receive windows `(R, batch, channels, steps)` and call
`time_major` once. Member r of a
population computes exactly what a lone model (R = 1) built and trained with member r's seed
computes: weights and dropout masks are drawn from the member's own `torch.Generator`, in the same
order. That is what lets harcnn train ten seeds at once without changing any one of them.

Initialisation follows Keras' defaults (Glorot-uniform weights, zero biases) so that results are
comparable with the tutorial's.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _glorot_uniform_(weight: Tensor, fan_in: int, fan_out: int, generators: list[torch.Generator]) -> None:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        for member, generator in zip(weight, generators, strict=True):
            member.uniform_(-limit, limit, generator=generator)


def time_major(x: Tensor) -> Tensor:
    """Windows `(R, B, channels, steps)` to the layers' layout `(R, B, steps, channels)`."""
    return x.transpose(-1, -2).contiguous()


class PopConv1d(nn.Module):
    """R Conv1d layers (valid padding, stride 1): `(R, B, t, c_in) -> (R, B, t - k + 1, c_out)`.

    A loop of dense convolutions, one per member; each member's `(B, t, c)` block is handed to
    oneDNN as a channels-last image of height 1, so no layout reorders happen.
    """

    def __init__(self, members: int, c_in: int, c_out: int, kernel: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, c_out, c_in, kernel))
        self.bias = nn.Parameter(torch.zeros(members, c_out))

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        _, c_out, c_in, k = self.weight.shape
        _glorot_uniform_(self.weight, c_in * k, c_out * k, generators)
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        # unbind, not x[r]: the backward of indexing builds a full-size zero gradient per member.
        members = zip(x.unbind(), self.weight.unbind(), self.bias.unbind(), strict=True)
        return torch.stack([
            F.conv2d(xr.transpose(1, 2).unsqueeze(2), w.unsqueeze(2), b).squeeze(2).transpose(1, 2) for xr, w, b in members
        ])


class PopLinear(nn.Module):
    """R dense layers as one batched matmul: `(R, B, f_in) -> (R, B, f_out)`."""

    def __init__(self, members: int, f_in: int, f_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, f_in, f_out))
        self.bias = nn.Parameter(torch.zeros(members, f_out))

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        _, f_in, f_out = self.weight.shape
        _glorot_uniform_(self.weight, f_in, f_out, generators)
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight)


class PopDropout(nn.Module):
    """Inverted dropout whose mask for member r comes from member r's generator.

    Masks are built from random bytes (8 per 64-bit draw) rather than `bernoulli_`, which spent 4.6 ms per
    32x64x124 mask here against 0.2 ms for the bits: dropout was the largest cost of a training step.
    The rate is therefore rounded to a multiple of 1/256 (exact for 0.5, the tutorial's rate).
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {p}")
        self.threshold = round(p * 256)
        self.generators: list[torch.Generator] | None = None

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.threshold == 0:
            return x
        if self.generators is None or len(self.generators) != len(x):
            raise RuntimeError("PopDropout needs one generator per member: call bind_generators() first")
        # Masks are float (0 or 1/(1-p)), not bool: on this CPU a multiply by a float mask took
        # 0.6 ms where `where`/`masked_fill` with a bool mask took 8 ms for a 10x32x124x64 tensor.
        scale = 256 / (256 - self.threshold)
        mask = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        for member, generator in zip(mask, self.generators):
            torch.ge(random_bytes(member.shape, generator, x.device), self.threshold, out=member).mul_(scale)
        return x * mask


def random_bytes(shape: torch.Size, generator: torch.Generator, device: torch.device) -> Tensor:
    """Uniform random uint8 values, 8 per 64-bit draw of `generator`.

    The draw must span all 64 bits (`from=-2**63, to=None`): a plain `random_()` stops at the dtype's
    maximum, which leaves the top bit of every word zero and would bias one byte in eight.
    """
    n = math.prod(shape)
    words = torch.empty((n + 7) // 8, dtype=torch.int64, device=device).random_(-(2**63), None, generator=generator)
    return words.view(torch.uint8)[:n].view(shape)


class _MaxPool(torch.autograd.Function):
    """Non-overlapping max-pooling over time (axis -2); drops a remainder like Keras' 'valid' pooling.

    Built from elementwise maxima of strided views: `F.max_pool1d` took ~16 ms and a `max` over a
    reshaped view ~6 ms on a 10x32x64x124 tensor here, this ~1 ms. Ties go to the first element.
    """

    @staticmethod
    def forward(ctx, x: Tensor, size: int) -> Tensor:
        end = x.shape[-2] // size * size
        out, winner = x[..., 0:end:size, :], None
        for j in range(1, size):
            candidate = x[..., j:end:size, :]
            larger = torch.gt(candidate, out, out=torch.empty_like(candidate, memory_format=torch.contiguous_format))
            winner = larger if winner is None else winner + larger * (j - winner)  # float masks: see PopDropout
            out = torch.maximum(out, candidate)
        ctx.save_for_backward(winner)
        ctx.shape, ctx.size = x.shape, size
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        (winner,) = ctx.saved_tensors
        size = ctx.size
        end = ctx.shape[-2] // size * size
        grad_in = grad.new_empty(ctx.shape)
        grad_in[..., end:, :] = 0
        chosen = torch.empty_like(winner)
        for j in range(size):
            torch.mul(grad, torch.eq(winner, j, out=chosen), out=grad_in[..., j:end:size, :])
        return grad_in, None


class MaxPool(nn.Module):
    """Max-pooling over time by `size`, `(R, B, t, c) -> (R, B, t // size, c)`; a module so layer tables show it."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        return _MaxPool.apply(x, self.size)


def reset_members(model: nn.Module, generators: list[torch.Generator]) -> None:
    """Initialise every population layer, member r from `generators[r]`, in module order."""
    for module in model.modules():
        if isinstance(module, (PopConv1d, PopLinear)):
            module.reset_parameters(generators)


def bind_generators(model: nn.Module, generators: list[torch.Generator]) -> None:
    """Give every dropout layer the members' generators, so member r's masks follow its seed."""
    for module in model.modules():
        if isinstance(module, PopDropout):
            module.generators = generators
