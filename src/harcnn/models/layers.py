"""Layers for populations: R independent copies of a layer held in one module.

Layout. Models take windows `(R, B, channels, steps)` and return logits `(R, B, classes)`; between
layers, activations keep the member axis second to last and features last: sequences are
`(B, steps, R, channels)` and vectors `(B, R, features)`. Sequences are thus batch- and time-major,
the channels-last layout oneDNN's convolutions use natively (channels-first inputs cost a reorder
before and after every convolution, about 40% of its time here), and all members' convolutions
are one grouped convolution with no copies between members. `to_layers` and `from_layers`
convert at the model's two ends.

Independence. Member r of a population computes what a lone model (R = 1) built and trained with
member r's seed computes: weights and dropout masks are drawn from the member's own
`torch.Generator`, in the same order. That is what lets harcnn train ten seeds at once without
changing any one of them.

Initialisation follows Keras' defaults (Glorot-uniform weights, zero biases) so that results are
comparable with the tutorial's.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _glorot_uniform_(weight: Tensor, fan_in: int, fan_out: int, generators: list[torch.Generator]) -> None:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        for member, generator in zip(weight, generators, strict=True):
            member.uniform_(-limit, limit, generator=generator)


def to_layers(x: Tensor) -> Tensor:
    """Windows `(R, B, channels, steps)` to the layers' layout `(B, steps, R, channels)`."""
    return x.permute(1, 3, 0, 2).contiguous()


def from_layers(y: Tensor) -> Tensor:
    """Outputs `(B, R, classes)` to `(R, B, classes)`."""
    return y.transpose(0, 1)


class PopConv1d(nn.Module):
    """R Conv1d layers (valid padding, stride 1): `(B, t, R, c_in) -> (B, t - k + 1, R, c_out)`.

    One grouped convolution over all members, handed to oneDNN as a channels-last image of height 1:
    no reorders and no stacking of per-member outputs (10 members: 14 ms forward and backward where
    a loop of per-member convolutions took 18 ms, for the tutorial's second layer).
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
        members, c_out, c_in, kernel = self.weight.shape  # sizes from the weights keep ONNX shapes static
        image = x.flatten(2).transpose(1, 2).unsqueeze(2)  # (B, R*c, 1, t), channels-last
        y = F.conv2d(image, self.weight.view(members * c_out, c_in, 1, kernel), self.bias.view(-1), groups=members)
        return y.squeeze(2).transpose(1, 2).unflatten(2, (members, c_out))


class PopLinear(nn.Module):
    """R dense layers as one batched matmul: `(B, R, f_in) -> (B, R, f_out)`."""

    def __init__(self, members: int, f_in: int, f_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, f_in, f_out))
        self.bias = nn.Parameter(torch.zeros(members, f_out))

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        _, f_in, f_out = self.weight.shape
        _glorot_uniform_(self.weight, f_in, f_out, generators)
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias.unsqueeze(1), x.transpose(0, 1), self.weight).transpose(0, 1)


def flatten_time(x: Tensor) -> Tensor:
    """Sequences `(B, t, R, c)` to vectors `(B, R, t * c)`, time-major like Keras' Flatten."""
    return x.transpose(1, 2).flatten(2)


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
        if self.generators is None or len(self.generators) != x.shape[-2]:
            raise RuntimeError("PopDropout needs one generator per member: call bind_generators() first")
        # Masks are float (0 or 1/(1-p)), not bool: on this CPU a multiply by a float mask took
        # 0.6 ms where `where`/`masked_fill` with a bool mask took 8 ms for a 10x32x124x64 tensor.
        scale = 256 / (256 - self.threshold)
        mask = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        for member, generator in zip(mask.unbind(-2), self.generators):
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


def _slots(x: Tensor, size: int) -> list[Tensor]:
    """The j-th step of every pooling window over time (axis 1), for j < size (the remainder dropped)."""
    end = x.shape[1] // size * size
    return [x[:, j:end:size] for j in range(size)]


class _MaxPool(torch.autograd.Function):
    """Non-overlapping max-pooling over time (axis 1); drops a remainder like Keras' 'valid' pooling.

    Built from elementwise maxima of strided views: `F.max_pool1d` took ~16 ms and a `max` over a
    reshaped view ~6 ms on a 10x32x64x124 tensor here, this ~1 ms. Ties go to the first element.
    """

    @staticmethod
    def forward(ctx, x: Tensor, size: int) -> Tensor:
        out, *others = _slots(x, size)
        winner = None
        for j, candidate in enumerate(others, start=1):
            larger = torch.gt(candidate, out, out=torch.empty_like(candidate, memory_format=torch.contiguous_format))
            winner = larger if winner is None else winner + larger * (j - winner)  # float masks: see PopDropout
            out = torch.maximum(out, candidate)
        ctx.save_for_backward(winner)
        ctx.shape, ctx.size = x.shape, size
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        (winner,) = ctx.saved_tensors
        grad_in = grad.new_zeros(ctx.shape)
        chosen = torch.empty_like(winner)
        for j, slot in enumerate(_slots(grad_in, ctx.size)):
            torch.mul(grad, torch.eq(winner, j, out=chosen), out=slot)
        return grad_in, None


class MaxPool(nn.Module):
    """Max-pooling over time by `size`, `(B, t, R, c) -> (B, t // size, R, c)`; a module so layer tables show it."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return _MaxPool.apply(x, self.size)
        return functools.reduce(torch.maximum, _slots(x, self.size))  # inference, and plain ops for ONNX


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
