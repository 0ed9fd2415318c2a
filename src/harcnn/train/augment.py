"""Augmentation computed on the fly for a whole population batch, member r's draws from its generator.

Every ingredient is off by default (see `Recipe`) and draws only when it is on, so turning one on
leaves the others' random streams where they were in earlier studies:

- `scale`: each window's channels multiplied by N(1, scale) (magnitude scaling);
- `jitter`: N(0, jitter) added to every value;
- `rotate`: the sensor frame turned by a random rotation of up to `rotate` degrees (uniform axis),
  the same rotation for every x/y/z triplet of a window (a phone worn a little differently:
  Um et al., "Data augmentation of wearable sensor data for Parkinson's disease monitoring using
  convolutional neural networks", ICMI 2017). It acts on physical units, through the
  standardisation the windows went through;
- `time_warp`: time resampled along a smooth random speed curve, speeds N(1, time_warp) at four
  knots (Um et al. 2017);
- `mixup`: pairs of windows of the member's batch blended with weight Beta(mixup, mixup), the
  loss blended alike (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import betaincinv
from torch import Tensor

from harcnn.errors import HarcnnError
from harcnn.train.recipe import Recipe

AXES = ("x", "y", "z")
KNOTS = 4


_AXIS = re.compile(r"^(?P<device>.*:)?(?:(?P<head>.+)_(?P<last>[xyz])|(?P<first>[xyz])_(?P<tail>.+))$", re.I)


def triplets(channels: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """Indices of the channels named `<sensor>_x`, `_y`, `_z` or `x_<sensor>`, ... (any case, after a
    `device:` prefix), one triple per sensor."""
    found: dict[str, dict[str, int]] = {}
    for i, name in enumerate(channels):
        match = _AXIS.match(name)
        if match:
            sensor = (match["device"] or "") + (match["head"] or "_" + match["tail"])
            found.setdefault(sensor, {})[(match["last"] or match["first"]).lower()] = i
    return [tuple(axes[a] for a in AXES) for axes in found.values() if len(axes) == 3]


@dataclass
class Mixed:
    """A batch after augmentation: windows, and for mixup the partner targets and the weights `(R,)`."""

    windows: Tensor
    partner: Tensor | None = None
    weight: Tensor | None = None


class Augmenter:
    """Applies a recipe's augmentation to population batches `(R, B, c, t)`.

    `mean`/`std` are the standardisation the windows went through (None: raw), so that rotations
    turn physical axes; `channels` names the x/y/z triplets to rotate.
    """

    def __init__(self, recipe: Recipe, channels: tuple[str, ...], mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.recipe = recipe
        self.triplets = triplets(channels)
        if recipe.rotate and not self.triplets:
            raise HarcnnError(f"rotate needs x/y/z channel triplets (names ending _x, _y, _z); the channels are {list(channels)}")
        c = len(channels)
        self.mean = torch.as_tensor(mean if mean is not None else np.zeros(c), dtype=torch.float64)
        self.std = torch.as_tensor(std if std is not None else np.ones(c), dtype=torch.float64)

    @property
    def active(self) -> bool:
        r = self.recipe
        return bool(r.scale or r.jitter or r.rotate or r.time_warp or r.mixup)

    @torch.no_grad()
    def __call__(self, windows: Tensor, targets: Tensor, generators: list[torch.Generator]) -> Mixed:
        r, out, partners, weights = self.recipe, [], [], []
        for x, y, g in zip(windows, targets, generators):
            if r.rotate:
                x = self._rotate(x, g)
            if r.time_warp:
                x = _time_warp(x, r.time_warp, g)
            if r.scale:
                x = x * (1 + r.scale * torch.randn(x.shape[0], x.shape[1], 1, generator=g, device=x.device, dtype=x.dtype))
            if r.jitter:
                x = x + r.jitter * torch.randn(x.shape, generator=g, device=x.device, dtype=x.dtype)
            if r.mixup:
                lam = float(betaincinv(r.mixup, r.mixup, torch.rand((), generator=g, device=x.device).item()))
                perm = torch.randperm(x.shape[0], generator=g, device=x.device)
                x = lam * x + (1 - lam) * x[perm]
                partners.append(y[perm])
                weights.append(lam)
            out.append(x)
        stacked = torch.stack(out)
        if not r.mixup:
            return Mixed(stacked)
        return Mixed(stacked, torch.stack(partners), torch.tensor(weights, device=stacked.device, dtype=stacked.dtype))

    def _rotate(self, x: Tensor, g: torch.Generator) -> Tensor:
        """One random rotation per window applied to every triplet, in physical units."""
        rot = random_rotations(x.shape[0], math.radians(self.recipe.rotate), g, x.device).to(x.dtype)  # (B, 3, 3)
        mean, std = self.mean.to(x), self.std.to(x)
        x = x.clone()
        for idx in self.triplets:
            i = list(idx)
            raw = x[:, i] * std[i, None] + mean[i, None]  # (B, 3, t)
            x[:, i] = (torch.bmm(rot, raw) - mean[i, None]) / std[i, None]
        return x


def random_rotations(n: int, max_angle: float, g: torch.Generator, device: torch.device) -> Tensor:
    """`n` rotation matrices: axis uniform on the sphere, angle uniform in [-max_angle, max_angle] (Rodrigues)."""
    axis = torch.randn(n, 3, generator=g, device=device, dtype=torch.float64)
    axis = axis / axis.norm(dim=1, keepdim=True).clamp_min(1e-12)
    angle = (2 * torch.rand(n, generator=g, device=device, dtype=torch.float64) - 1) * max_angle
    k = torch.zeros(n, 3, 3, device=device, dtype=torch.float64)
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    k = k - k.transpose(1, 2)
    s, c = angle.sin()[:, None, None], angle.cos()[:, None, None]
    return torch.eye(3, device=device, dtype=torch.float64) + s * k + (1 - c) * (k @ k)


def _time_warp(x: Tensor, sigma: float, g: torch.Generator) -> Tensor:
    """Windows `(B, c, t)` read at warped times: speed N(1, sigma) at `KNOTS` knots, linear between."""
    b, _, t = x.shape
    speed = (1 + sigma * torch.randn(b, KNOTS, generator=g, device=x.device, dtype=x.dtype)).clamp_min(0.1)
    speed = torch.nn.functional.interpolate(speed[:, None], size=t, mode="linear", align_corners=True)[:, 0]
    pos = torch.cumsum(speed, 1)
    pos = (pos - pos[:, :1]) / (pos[:, -1:] - pos[:, :1]) * (t - 1)  # from the first step to the last
    lo = pos.floor().long().clamp(0, t - 2)
    frac = (pos - lo)[:, None]
    lo = lo[:, None].expand(-1, x.shape[1], -1)
    return x.gather(2, lo) * (1 - frac) + x.gather(2, lo + 1) * frac
