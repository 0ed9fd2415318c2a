"""Layers for populations: R independent copies of a layer held in one module.

Layout. Models take windows `(R, B, channels, steps)` and return logits `(R, B, classes)`. Between
convolutions, sequences are channels-last images of height 1, `(B, R * channels, 1, steps)`: in
memory, batch- then time-major with the member axis before the channels. That is the layout oneDNN's
convolutions use natively (channels-first inputs cost a reorder before and after every convolution,
about 40% of its time here), all members' convolutions are one grouped convolution, and ReLU and
its gradient run on the convolution's own tensors (viewing them as `(B, steps, R, channels)` between
two convolutions made autograd copy and zero-fill them: 6 ms of a 44 ms training step). `as_steps`
is that view, for layers that need the member axis. Vectors are member-major, `(R, B, features)`,
so that dense layers are batched matmuls over contiguous members.

Independence. Member r of a population computes what a lone model (R = 1) built and trained with
member r's seed computes: weights and dropout masks are drawn from the member's own
`torch.Generator`, in the same order. That is what lets harcnn train ten seeds at once without
changing any one of them.

Initialisation follows Keras' defaults (Glorot-uniform weights, zero biases) so that results are
comparable with the tutorial's.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from harcnn.errors import HarcnnError


class PopulationModel(nn.Module):
    """Base of every registered model: `members` independent models in one module.

    Subclasses implement `forward_members` on `(R, B, c, t)` windows. `forward` also takes plain
    `(n, c, t)` windows, which every member reads: a population of one then returns `(n, classes)`,
    as any single model would, and a larger one `(R, n, classes)`.
    """

    ANY_LENGTH = False  # True for models that pool globally over time: any window length works
    WINDOW_SCALING = ""  # how hyperparameters follow the window length, where they do (`harcnn models` says it)

    def __init__(self, members: int):
        super().__init__()
        if members < 1:
            raise ValueError(f"a population needs at least one member, got {members}")
        self.members = members

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() == 4:
            return self.forward_members(x)
        if x.dim() != 3:
            raise ValueError(f"windows must be (n, channels, steps) or (members, n, channels, steps), got shape {tuple(x.shape)}")
        out = self.forward_members(x.expand(self.members, *x.shape))
        return out[0] if self.members == 1 else out

    def forward_members(self, x: Tensor) -> Tensor:
        raise NotImplementedError


def _glorot_uniform_(weight: Tensor, fan_in: int, fan_out: int, generators: list[torch.Generator]) -> None:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        for member, generator in zip(weight, generators, strict=True):
            member.uniform_(-limit, limit, generator=generator)


def to_image(x: Tensor) -> Tensor:
    """Windows `(R, B, channels, steps)` to an image `(B, R * channels, 1, steps)`, channels-last.

    With more than one member the reshape copies into that layout; one member's windows would stay a
    view in channels-first order, and every layer after would follow it: for the ResNet with one
    member (`harcnn train`), a training step took 55.1 ms in that order against 46.6 ms channels-last
    in float32, 33.0 against 29.6 ms in bfloat16 (one thread, idle machine)."""
    members, batch, channels, steps = x.shape
    image = x.permute(1, 3, 0, 2).reshape(batch, steps, members * channels).transpose(1, 2).unsqueeze(2)
    return image.contiguous(memory_format=torch.channels_last)


def as_steps(image: Tensor, members: int) -> Tensor:
    """An image `(B, R * c, 1, t)` as steps `(B, t, R, c)`: a view, contiguous for channels-last images."""
    return image.squeeze(2).transpose(1, 2).unflatten(2, (members, -1))


class PopConv1d(nn.Module):
    """R Conv1d layers (stride 1): images `(B, R * c_in, 1, t) -> (B, R * c_out, 1, t')`.

    `same=False`: valid padding, `t' = t - k + 1`; `same=True` (odd kernels): zero padding that keeps
    `t' = t`. `bias=False` for convolutions followed by batch normalisation. One grouped convolution
    over all members in oneDNN's channels-last layout: no reorders and no stacking of per-member
    outputs (10 members: 14 ms forward and backward where a loop of per-member convolutions took
    18 ms, for the tutorial's second layer).
    """

    def __init__(self, members: int, c_in: int, c_out: int, kernel: int, same: bool = False, bias: bool = True):
        super().__init__()
        if same and kernel % 2 == 0:
            raise ValueError(f"'same' padding needs an odd kernel, got {kernel}")
        self.padding = (0, kernel // 2) if same else (0, 0)
        self.weight = nn.Parameter(torch.empty(members, c_out, c_in, kernel))
        self.bias = nn.Parameter(torch.zeros(members, c_out)) if bias else None

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        _, c_out, c_in, k = self.weight.shape
        _glorot_uniform_(self.weight, c_in * k, c_out * k, generators)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        members, c_out, c_in, kernel = self.weight.shape  # sizes from the weights keep ONNX shapes static
        bias = self.bias.view(-1) if self.bias is not None else None
        return F.conv2d(x, self.weight.view(members * c_out, c_in, 1, kernel), bias, padding=self.padding, groups=members)


class PopBatchNorm(nn.Module):
    """Batch normalisation of images `(B, R * c, 1, t)`: statistics per member and channel.

    In a population batch, row b of member r's channels holds member r's own b-th window, so the
    statistics of a channel are those of its member's batch: member r normalises exactly as a lone
    model trained with seed r would. Parameters and running statistics are stored `(R, c)`, like
    every population layer's; Keras' defaults (momentum 0.99, epsilon 1e-3).
    """

    def __init__(self, members: int, channels: int, momentum: float = 0.01, eps: float = 1e-3):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(members, channels))
        self.bias = nn.Parameter(torch.zeros(members, channels))
        self.register_buffer("running_mean", torch.zeros(members, channels))
        self.register_buffer("running_var", torch.ones(members, channels))

    def reset_parameters(self) -> None:
        nn.init.ones_(self.weight)
        nn.init.zeros_(self.bias)
        self.running_mean.zero_()
        self.running_var.fill_(1.0)

    def forward(self, x: Tensor) -> Tensor:
        # views share the buffers' storage, so training updates the running statistics in place
        return F.batch_norm(
            x, self.running_mean.view(-1), self.running_var.view(-1), self.weight.view(-1), self.bias.view(-1),
            training=self.training, momentum=self.momentum, eps=self.eps,
        )  # fmt: skip


def global_average(image: Tensor, members: int) -> Tensor:
    """Global average pooling over time: images `(B, R * c, 1, t)` to vectors `(R, B, c)`."""
    batch = image.shape[0]
    return image.mean(dim=(2, 3)).view(batch, members, -1).transpose(0, 1)


class PopLinear(nn.Module):
    """R dense layers: `(R, B, f_in) -> (R, B, f_out)`, weights stored `(R, f_out, f_in)` like `nn.Linear`.

    Training computes each product in the form MKL was fastest at here (`_LinearProducts`): for the
    multi-head model's 11776 x 100 layer, 5 members took 9.7 ms forward and backward against 14.6 ms
    for autograd's choice over `(R, f_in, f_out)` weights (the weight gradient alone: 2.7 vs 6.7 ms).
    """

    def __init__(self, members: int, f_in: int, f_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(members, f_out, f_in))
        self.bias = nn.Parameter(torch.zeros(members, f_out))

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        _, f_out, f_in = self.weight.shape
        # drawn in (f_in, f_out) order, as Keras' kernel is laid out, then stored transposed
        drawn = torch.empty(self.weight.shape[0], f_in, f_out, device=self.weight.device)
        _glorot_uniform_(drawn, f_in, f_out, generators)
        with torch.no_grad():
            self.weight.copy_(drawn.transpose(1, 2))
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if torch.is_grad_enabled() and self.weight.requires_grad:
            return _LinearProducts.apply(x, self.weight, self.bias).transpose(1, 2)
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight.transpose(1, 2))  # inference, and ONNX


class _LinearProducts(torch.autograd.Function):
    """The outputs transposed, `(R, f_out, B)`: W x^T."""

    @staticmethod
    @torch.amp.custom_fwd(device_type="cpu", cast_inputs=torch.float32)
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        ctx.save_for_backward(x, weight)
        return torch.baddbmm(bias.unsqueeze(2), weight, x.transpose(1, 2))

    @staticmethod
    @torch.amp.custom_bwd(device_type="cpu")
    def backward(ctx, grad_t: Tensor):
        x, weight = ctx.saved_tensors
        grad_t = grad_t.contiguous()  # (R, f_out, B): small
        grad_x = torch.bmm(grad_t.transpose(1, 2), weight) if ctx.needs_input_grad[0] else None
        return grad_x, torch.bmm(grad_t, x), grad_t.sum(2)


def reset_members(model: nn.Module, generators: list[torch.Generator]) -> None:
    """Initialise every population layer, member r from `generators[r]`, in module order."""
    for module in model.modules():
        if isinstance(module, (PopConv1d, PopLinear, PopLSTM)):
            module.reset_parameters(generators)
        elif isinstance(module, PopBatchNorm):
            module.reset_parameters()  # ones and zeros: the same for every seed


def bind_generators(model: nn.Module, generators: list[torch.Generator]) -> None:
    """Give every layer that draws random numbers in training (it has a `generators` attribute) the
    members' generators, so that member r's draws follow its seed."""
    for module in model.modules():
        if hasattr(module, "generators"):
            module.generators = generators


def member_state(model: nn.Module, r: int) -> dict[str, Tensor]:
    """Member r of a population as the weights of a population of one."""
    return {k: v[r : r + 1].detach().cpu().clone() for k, v in model.state_dict().items()}


def cat_members(images: list[Tensor], members: int) -> Tensor:
    """Concatenate images `(B, R * c_i, 1, t)` along each member's channels: `(B, R * sum(c_i), 1, t)`,
    member r's channels still together (a plain `torch.cat` would put all of member 0's first branch
    beside member 1's)."""
    batch, _, _, steps = images[0].shape
    parts = [im.view(batch, members, -1, 1, steps) for im in images]
    return torch.cat(parts, dim=2).view(batch, -1, 1, steps).contiguous(memory_format=torch.channels_last)


class PopLSTM(nn.Module):
    """R LSTM layers over sequences `(R, B, t, f_in) -> (R, B, t, hidden)`, Keras' initialisation
    (Glorot-uniform input weights, orthogonal recurrent weights, zero biases but 1 for the forget
    gate). Weights are stored `(R, 4 * hidden, ...)` with torch's gate order (input, forget, cell,
    output); every step is a batched matmul over the members."""

    def __init__(self, members: int, f_in: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.weight_ih = nn.Parameter(torch.empty(members, 4 * hidden, f_in))
        self.weight_hh = nn.Parameter(torch.empty(members, 4 * hidden, hidden))
        self.bias = nn.Parameter(torch.zeros(members, 4 * hidden))

    def reset_parameters(self, generators: list[torch.Generator]) -> None:
        members, four_h, f_in = self.weight_ih.shape
        drawn = torch.empty(members, f_in, four_h, device=self.weight_ih.device)
        _glorot_uniform_(drawn, f_in, four_h, generators)
        with torch.no_grad():
            self.weight_ih.copy_(drawn.transpose(1, 2))
            for member, generator in zip(self.weight_hh, generators, strict=True):
                recurrent = torch.empty(self.hidden, four_h, device=member.device)
                nn.init.orthogonal_(recurrent, generator=generator)
                member.copy_(recurrent.T)
            self.bias.zero_()
            self.bias[:, self.hidden : 2 * self.hidden] = 1.0

    def forward(self, x: Tensor) -> Tensor:
        members, _, steps, _ = x.shape
        inputs = torch.baddbmm(self.bias.unsqueeze(1), x.flatten(1, 2), self.weight_ih.transpose(1, 2))
        inputs = inputs.view(members, -1, steps, 4 * self.hidden)  # -1: ONNX export keeps the batch size dynamic
        # the state starts at zero, so step 0 has no recurrent term (and no zeros tensor, whose
        # batch size ONNX export would freeze)
        i, _, g, o = inputs[:, :, 0].chunk(4, dim=2)
        c = torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs = [h]
        for s in range(1, steps):
            i, f, g, o = torch.baddbmm(inputs[:, :, s], h, self.weight_hh.transpose(1, 2)).chunk(4, dim=2)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, dim=2)


def check_finite(model: nn.Module) -> None:
    """Refuse a population with a weight that is NaN or infinite (training diverged), so that such a
    model is an error and never a saved model or a stored score."""
    bad = sorted(
        {
            r
            for p in model.parameters()
            for r in torch.nonzero(~torch.isfinite(p.detach()).reshape(p.shape[0], -1).all(1)).flatten().tolist()
        }
    )
    if bad:
        raise HarcnnError(
            f"training diverged: member(s) {bad} have weights that are NaN or infinite; lower lr, weight_decay or the augmentation"
        )
