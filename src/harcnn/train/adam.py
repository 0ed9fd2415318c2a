"""Adam (Kingma and Ba, 2015), the update Keras' and PyTorch's Adam make, in one fused kernel per step.

Why not `torch.optim.Adam(fused=True)`, which calls the same kernel: its first use imports
`torch._dynamo`, 1.3 s in every worker process here, a second per study for nothing. A test holds
this class equal to it, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


class Adam:
    """Adam without weight decay or AMSGrad; state is plain tensors, saved by name in checkpoints."""

    def __init__(self, params: Iterable[nn.Parameter], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        torch._foreach_add_(self.steps, 1)
        torch._fused_adam_(
            self.params, [p.grad for p in self.params], self.exp_avg, self.exp_avg_sq, [], self.steps,
            lr=self.lr, beta1=self.betas[0], beta2=self.betas[1], weight_decay=0.0, eps=self.eps, amsgrad=False, maximize=False,
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
