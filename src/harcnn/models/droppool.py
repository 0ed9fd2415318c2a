"""Dropout, max-pooling, ReLU and Flatten as one layer: the end of the tutorial models' convolutions.

Why one layer. As separate layers these were about eight element-wise passes forward and seven
backward over the largest activations of the network, each also allocating its output: in a
training step of 5 multi-head CNNs (one thread) they took ~28 ms of ~70 ms, twice the time of all
convolutions (torch.profiler); fused, ~12 ms with the random bits. Training does one pass forward
(reading the convolution's output and the dropout bits, writing the pooled features and one byte
per pooled feature saying which input won) and one pass backward, in a numba kernel on the CPU. Other devices, inference, ONNX export and `harcnn.set_fused(False)`
use the same function written in torch operations (`reference_forward`); a test holds the two equal.

ReLU is applied after pooling, where the tutorial applies it to the convolution: ReLU commutes with
max-pooling and with dropout's non-negative scaling, so the function is the same, on half the values.

Independence. Member r's dropout bits come from member r's `torch.Generator`, one draw per sequence
in call order, so a member draws what a lone model trained with its seed draws (see models.layers).
"""

from __future__ import annotations

import functools

import numba
import numpy as np
import torch
from torch import Tensor, nn

from harcnn.fused import fused_enabled
from harcnn.models.layers import as_steps


class DropPoolFlatten(nn.Module):
    """`(dropout, max-pool by size, ReLU, flatten)` per sequence, the results concatenated.

    Takes sequences as convolution images `(B, R * c, 1, t)` and returns features `(R, B, f)`, each
    sequence flattened time-major like Keras' Flatten. The dropout rate is rounded to a multiple of
    1/256 (exact for 0.5, the tutorial's rate): masks come from random bytes, eight per 64-bit draw,
    which was 20 times cheaper here than `bernoulli_`.
    """

    def __init__(self, members: int, dropout: float, pool: int):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {dropout}")
        self.members, self.pool = members, pool
        self.threshold = round(dropout * 256)
        self.generators: list[torch.Generator] | None = None

    def extra_repr(self) -> str:
        return f"members={self.members}, dropout={self.threshold}/256, pool={self.pool}"

    def forward(self, *images: Tensor) -> Tensor:
        sequences = [as_steps(image, self.members) for image in images]
        if not self.training:
            return torch.cat([reference_forward(s, None, 0, self.pool) for s in sequences], dim=2)
        bits = [self.dropout_bits(s) if self.threshold else None for s in sequences]
        if sequences[0].device.type == "cpu" and fused_enabled():
            return _FusedCPU.apply(self.threshold, self.pool, bits, *sequences)
        return torch.cat([reference_forward(s, b, self.threshold, self.pool) for s, b in zip(sequences, bits)], dim=2)

    def dropout_bits(self, steps: Tensor) -> Tensor:
        """Random bytes `(R, >= B * t * c)` for sequence `steps` `(B, t, R, c)`, member r's from its generator."""
        if self.generators is None or len(self.generators) != self.members:
            raise RuntimeError("DropPoolFlatten needs one generator per member: call bind_generators() first")
        b, t, members, c = steps.shape
        n = b * t * c
        # The draw must span all 64 bits (`from=-2**63, to=None`): a plain `random_()` stops at the
        # dtype's maximum, which leaves the top bit of every word zero and would bias one byte in eight.
        words = torch.empty(members, (n + 7) // 8, dtype=torch.int64, device=steps.device)
        for row, generator in zip(words, self.generators):
            row.random_(-(2**63), None, generator=generator)
        return words.view(torch.uint8)


def reference_forward(steps: Tensor, bits: Tensor | None, threshold: int, pool: int) -> Tensor:
    """The layer in torch operations: `(B, t, R, c)` steps and `(R, >= B * t * c)` bits to `(R, B, t // pool * c)`."""
    if bits is not None:
        scale = 256 / (256 - threshold)
        b, t, members, c = steps.shape
        keep = bits[:, : b * t * c].view(members, b, t, c).permute(1, 2, 0, 3) >= threshold
        steps = steps * keep.to(steps.dtype) * scale
    slots = [steps[:, j : steps.shape[1] // pool * pool : pool] for j in range(pool)]
    pooled = functools.reduce(torch.maximum, slots).relu()
    return pooled.permute(2, 0, 1, 3).flatten(2)


class _FusedCPU(torch.autograd.Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cpu", cast_inputs=torch.float32)  # the kernel is float32's
    def forward(ctx, threshold: int, pool: int, bits: list[Tensor | None], *sequences: Tensor) -> Tensor:
        b, _, members, c = sequences[0].shape
        widths = [s.shape[1] // pool * c for s in sequences]
        out = torch.empty(members, b, sum(widths), dtype=sequences[0].dtype)
        scale = np.float32(256 / (256 - threshold))
        winners, start = [], 0
        for steps, bit, width in zip(sequences, bits, widths):
            winner = torch.empty(b, steps.shape[1] // pool, members, c, dtype=torch.uint8)
            keep = bit.numpy() if bit is not None else np.empty((members, 0), np.uint8)
            _forward_kernel(steps.detach().numpy(), keep, threshold, scale, pool, out=out.numpy(), start=start, winner=winner.numpy())
            winners.append(winner)
            start += width
        ctx.save_for_backward(*winners)
        ctx.shapes, ctx.pool, ctx.scale = [s.shape for s in sequences], pool, scale
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        features = grad.contiguous().numpy()
        grads, start = [], 0
        for shape, winner in zip(ctx.shapes, ctx.saved_tensors):
            g = torch.empty(shape, dtype=grad.dtype)
            _backward_kernel(features, start, winner.numpy(), ctx.scale, ctx.pool, g.numpy())
            grads.append(g)
            start += winner.shape[1] * winner.shape[3]
        return None, None, None, *grads


@numba.njit(cache=True, nogil=True)
def _forward_kernel(steps, bits, threshold, scale, pool, out, start, winner):  # pragma: no cover (compiled)
    """out[r, b, start + i*c + ch] = max(0, max_j dropout(steps[b, i*pool + j, r, ch])), winner = 1 + the
    winning j (0: no positive value). Inner loops run over contiguous channels, branch-free, so that
    LLVM vectorises them. `bits` is `(R, B * t * c)`, not read when `threshold` is 0 (no dropout)."""
    batch, length, members, channels = steps.shape
    pooled = winner.shape[1]
    zero = np.float32(0.0)
    for b in range(batch):
        for i in range(pooled):
            for r in range(members):
                best = out[r, b, start + i * channels : start + (i + 1) * channels]
                won = winner[b, i, r]
                best[:] = zero
                won[:] = 0
                for j in range(pool):
                    s = i * pool + j
                    x = steps[b, s, r]
                    keep = bits[r, (b * length + s) * channels : (b * length + s + 1) * channels]
                    for ch in range(channels):
                        v = x[ch] * scale if threshold == 0 or keep[ch] >= threshold else zero
                        larger = v > best[ch]
                        best[ch] = v if larger else best[ch]
                        won[ch] = j + 1 if larger else won[ch]


@numba.njit(cache=True, nogil=True)
def _backward_kernel(grad, start, winner, scale, pool, out):  # pragma: no cover (compiled)
    """out[b, s, r, ch] = the gradient of the pooled feature s won, times the dropout scale; zero where
    it lost or was dropped, and over the steps pooling left out."""
    batch, _, members, channels = out.shape
    pooled = winner.shape[1]
    zero = np.float32(0.0)
    for b in range(batch):
        for i in range(pooled):
            for r in range(members):
                g = grad[r, b, start + i * channels : start + (i + 1) * channels]
                won = winner[b, i, r]
                for j in range(pool):
                    target = out[b, i * pool + j, r]
                    for ch in range(channels):
                        target[ch] = g[ch] * scale if won[ch] == j + 1 else zero
        out[b, pooled * pool :] = zero
