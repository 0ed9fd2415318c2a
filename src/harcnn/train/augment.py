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
import warnings
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy.special import betaincinv
from torch import Tensor

from harcnn.errors import HarcnnWarning
from harcnn.train.recipe import Recipe

AXES = ("x", "y", "z")
KNOTS = 4


_AXIS = re.compile(r"^(?P<device>.*:)?(?:(?P<head>.+?)_?(?P<last>[xyz])|(?P<first>[xyz])_(?P<tail>.+))$", re.I)


def triplets(channels: tuple[str, ...]) -> list[tuple[int, int, int]]:
    """Indices of the channels named `<sensor>_x`, `_y`, `_z`, `<sensor>x` (a phone's `ax`, `gx`) or
    `x_<sensor>`, ... (any case, after a `device:` prefix), one triple per sensor with all three axes."""
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
        self.triplets = triplets(channels)
        self._axes = torch.tensor(self.triplets, dtype=torch.long).flatten()  # the triplets' channels, once (not every step)
        if recipe.rotate and not self.triplets:
            # a recipe runs unchanged on any dataset: one without vectors to turn trains unrotated, and says so
            warnings.warn(
                f"rotate = {recipe.rotate:g} turns x/y/z channel triplets (names ending _x, _y, _z), and the channels "
                f"{list(channels)} have none: the windows are not rotated",
                HarcnnWarning,
                stacklevel=1,  # one place: Python shows it once a process, however many callers build an Augmenter
            )
            recipe = replace(recipe, rotate=0.0)
        self.recipe = recipe
        c = len(channels)
        self.mean = torch.as_tensor(mean if mean is not None else np.zeros(c), dtype=torch.float64)
        self.std = torch.as_tensor(std if std is not None else np.ones(c), dtype=torch.float64)

    @property
    def active(self) -> bool:
        r = self.recipe
        return bool(r.scale or r.jitter or r.rotate or r.time_warp or r.mixup)

    @torch.no_grad()
    def __call__(self, windows: Tensor, targets: Tensor, generators: list[torch.Generator]) -> Mixed:
        """Each member's random numbers are drawn from its own generator in the order a lone run draws
        them; the arithmetic then runs once over the whole population, bit for bit what a loop over
        the members computed (5 members, batch 64, rotation and scaling, one thread: 1.6-2.3 ms a
        step against 3.1-3.3 ms for that loop, with two threads fewer small parallel regions)."""
        r = self.recipe
        draws = [self._draw(windows.shape[1:], windows.device, windows.dtype, g) for g in generators]
        x = windows
        if r.rotate:
            rot = rotations(torch.stack([d["axis"] for d in draws]), torch.stack([d["angle"] for d in draws]))
            x = self._rotate(x, rot.to(x.dtype))
        if r.time_warp:
            x = _time_warp(x, torch.stack([d["speed"] for d in draws]))
        if r.scale:
            x = x * (1 + r.scale * torch.stack([d["scale"] for d in draws]))
        if r.jitter:
            x = x + r.jitter * torch.stack([d["jitter"] for d in draws])
        if not r.mixup:
            return Mixed(x)
        perm = torch.stack([d["perm"] for d in draws])
        shape = (len(draws), 1, 1, 1)
        lam = torch.tensor([d["lam"] for d in draws], dtype=x.dtype, device=x.device)
        rest = torch.tensor([1 - d["lam"] for d in draws], dtype=x.dtype, device=x.device)  # 1 - lam in float64, as a float did
        x = lam.view(shape) * x + rest.view(shape) * torch.take_along_dim(x, perm[:, :, None, None], 1)
        partner = perm if targets.ndim == 2 else perm[:, :, None]  # class indices (R, B) or probabilities (R, B, classes)
        return Mixed(x, torch.take_along_dim(targets, partner, 1), lam)

    def _draw(self, shape: torch.Size, device: torch.device, dtype: torch.dtype, g: torch.Generator) -> dict:
        """One member's random numbers for a batch of windows `shape` = `(B, c, t)`, in a fixed order."""
        r, (b, c, _), out = self.recipe, shape, {}
        if r.rotate:
            out["axis"], out["angle"] = _draw_rotations(b, math.radians(r.rotate), g, device)
        if r.time_warp:
            out["speed"] = (1 + r.time_warp * torch.randn(b, KNOTS, generator=g, device=device, dtype=dtype)).clamp_min(0.1)
        if r.scale:
            out["scale"] = torch.randn(b, c, 1, generator=g, device=device, dtype=dtype)
        if r.jitter:
            out["jitter"] = torch.randn(shape, generator=g, device=device, dtype=dtype)
        if r.mixup:
            out["lam"] = float(betaincinv(r.mixup, r.mixup, torch.rand((), generator=g, device=device).item()))
            out["perm"] = torch.randperm(b, generator=g, device=device)
        return out

    def _rotate(self, x: Tensor, rot: Tensor) -> Tensor:
        """Rotations `rot` `(R, B, 3, 3)`, one per window, applied to every triplet in physical units."""
        index = self._axes.to(x.device)
        mean, std = self.mean.to(x)[index, None], self.std.to(x)[index, None]
        raw = (x[:, :, index] * std + mean).unflatten(2, (-1, 3))  # (R, B, triplets, 3, t)
        turned = torch.matmul(rot[:, :, None], raw).flatten(2, 3)
        x = x.clone()
        x[:, :, index] = (turned - mean) / std
        return x


def random_rotations(n: int, max_angle: float, g: torch.Generator, device: torch.device) -> Tensor:
    """`n` rotation matrices: axis uniform on the sphere, angle uniform in [-max_angle, max_angle]."""
    return rotations(*_draw_rotations(n, max_angle, g, device))


def _draw_rotations(n: int, max_angle: float, g: torch.Generator, device: torch.device) -> tuple[Tensor, Tensor]:
    axis = torch.randn(n, 3, generator=g, device=device, dtype=torch.float64)
    angle = (2 * torch.rand(n, generator=g, device=device, dtype=torch.float64) - 1) * max_angle
    return axis, angle


def rotations(axis: Tensor, angle: Tensor) -> Tensor:
    """Rotation matrices `(..., 3, 3)` about `axis` `(..., 3)` (any length) by `angle` `(...)` (Rodrigues)."""
    axis = axis / axis.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    k = torch.zeros(*axis.shape, 3, device=axis.device, dtype=axis.dtype)
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -axis[..., 2], axis[..., 1], -axis[..., 0]
    k = k - k.transpose(-1, -2)
    s, c = angle.sin()[..., None, None], angle.cos()[..., None, None]
    return torch.eye(3, device=axis.device, dtype=axis.dtype) + s * k + (1 - c) * (k @ k)


def _time_warp(x: Tensor, speed: Tensor) -> Tensor:
    """Windows `(R, B, c, t)` read at warped times: `speed` `(R, B, KNOTS)` at the knots, linear between."""
    t = x.shape[-1]
    speed = torch.nn.functional.interpolate(speed.flatten(0, 1)[:, None], size=t, mode="linear", align_corners=True)[:, 0]
    pos = torch.cumsum(speed, 1)
    pos = (pos - pos[:, :1]) / (pos[:, -1:] - pos[:, :1]) * (t - 1)  # from the first step to the last
    lo = pos.floor().long().clamp(0, t - 2)
    frac = (pos - lo).view(*x.shape[:2], 1, t)
    lo = lo.view(*x.shape[:2], 1, t).expand(x.shape)
    return x.gather(3, lo) * (1 - frac) + x.gather(3, lo + 1) * frac
