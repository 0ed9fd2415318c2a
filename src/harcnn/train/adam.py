"""Adam (Kingma and Ba, 2015), the update Keras' and PyTorch's Adam make, in one fused kernel per step.

Why not `torch.optim.Adam(fused=True)`, which calls the same kernel: its first use imports
`torch._dynamo`, 1.3 s in every worker process here, a second per study for nothing. So the fast
path calls the kernel `torch._fused_adam_` itself, and a test holds it equal to
`torch.optim.Adam(fused=True)` bit for bit. That kernel is private: where a torch release lacks it
or changed its signature (checked once per process), and when the fused paths are switched off
(`harcnn.set_fused(False)`), the step is `torch.optim.Adam`'s, on the same state tensors, so
checkpoints are the same either way.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from harcnn.fused import fused_enabled


@functools.cache
def private_kernel_works() -> bool:
    """Whether `torch._fused_adam_` exists and takes the arguments this module passes."""
    try:
        p, g, m, v, s = torch.zeros(1), torch.ones(1), torch.zeros(1), torch.zeros(1), torch.ones(())
        _fused_step([p], [g], [m], [v], [s], lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    except (AttributeError, TypeError, RuntimeError):
        return False
    return bool(p.item() < 0)


def _fused_step(params, grads, exp_avg, exp_avg_sq, steps, *, lr, betas, eps) -> None:
    torch._fused_adam_(
        params, grads, exp_avg, exp_avg_sq, [], steps,
        lr=lr, beta1=betas[0], beta2=betas[1], weight_decay=0.0, eps=eps, amsgrad=False, maximize=False,
    )  # fmt: skip


class Adam:
    """Adam, with decoupled weight decay (AdamW) when `weight_decay` > 0, without AMSGrad; state is
    plain tensors, saved by name in checkpoints. The decay is applied here, before the kernel's
    update (as `torch.optim.AdamW` orders them), so that both paths decay alike."""

    def __init__(
        self,
        params: Iterable[nn.Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        self.params = list(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]
        self.fallback: torch.optim.Adam | None = None
        if not (fused_enabled() and private_kernel_works()):
            self.fallback = torch.optim.Adam(self.params, lr=lr, betas=betas, eps=eps, fused=fused_enabled())
            for p, m, v, s in zip(self.params, self.exp_avg, self.exp_avg_sq, self.steps):
                self.fallback.state[p] = {"step": s, "exp_avg": m, "exp_avg_sq": v}

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def set_lr(self, lr: float) -> None:
        self.lr = lr
        if self.fallback is not None:
            self.fallback.param_groups[0]["lr"] = lr

    @torch.no_grad()
    def step(self) -> None:
        if self.weight_decay:
            torch._foreach_mul_(self.params, 1.0 - self.lr * self.weight_decay)
        if self.fallback is not None:
            self.fallback.step()
            return
        live = [i for i, p in enumerate(self.params) if p.grad is not None]  # as torch.optim.Adam: a weight without a gradient
        # (an LSTM's recurrent weights when it sees one step) is left as it is
        steps = [self.steps[i] for i in live]
        torch._foreach_add_(steps, 1)
        _fused_step(
            [self.params[i] for i in live],
            [self.params[i].grad for i in live],
            [self.exp_avg[i] for i in live],
            [self.exp_avg_sq[i] for i in live],
            steps,
            lr=self.lr,
            betas=self.betas,
            eps=self.eps,
        )

    def state_tensors(self) -> dict[str, Tensor]:
        """Everything that decides later steps, by name."""
        state = {}
        for i, (m, v, s) in enumerate(zip(self.exp_avg, self.exp_avg_sq, self.steps)):
            state.update({f"{i}.exp_avg": m, f"{i}.exp_avg_sq": v, f"{i}.step": s})
        return state

    def load_state_tensors(self, state: dict[str, Tensor]) -> None:
        with torch.no_grad():
            for i, (m, v, s) in enumerate(zip(self.exp_avg, self.exp_avg_sq, self.steps)):
                m.copy_(state[f"{i}.exp_avg"])
                v.copy_(state[f"{i}.exp_avg_sq"])
                s.copy_(state[f"{i}.step"])
