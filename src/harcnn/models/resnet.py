"""Residual network (ResNet) for time series classification.

Zhiguang Wang, Weizhong Yan and Tim Oates, "Time Series Classification from Scratch with Deep
Neural Networks: A Strong Baseline", IJCNN 2017; the strongest deep model of the benchmark of
Ismail Fawaz et al., "Deep learning for time series classification: a review", DMKD 2019. Three
residual blocks of three convolutions (kernels 8, 5, 3) with batch normalisation, a shortcut (a 1x1
convolution with batch normalisation where the width changes), global average pooling and the
output layer. Here the kernels are odd (7, 5, 3) and the widths scale with `filters` (filters,
2 * filters, 2 * filters; the paper's are filters = 64).

`pool > 1` (not in the paper) max-pools time by `pool` after every block but the last, as image
ResNets downsample between stages: with `pool = 2` a training step costs about half (the later,
wider blocks see 64 and 32 steps instead of 128), and on validation subjects it scored higher
(benchmarks/results/explore.jsonl). `pool = 1` is the paper's network.

`scale_pool` makes `pool` the pooling of a window of REFERENCE_STEPS steps and scales it with the
window: windows of `n` steps pool by `round(pool * n / REFERENCE_STEPS)` between blocks, never less
than `pool`. Twice as many steps for the same 2.56 s (100 Hz instead of 50) then pool by 4 where
128 steps pool by 2: on GeoTec's phone recordings at 100 Hz in 2.56 s windows, pooling by 4 scored
84.09 % on validation subjects against 83.82 % for 2 (experiments/pool-window.toml), at less cost.
`scale_kernels` does the same for the kernels: each is the largest odd size within
`k * n / REFERENCE_STEPS` and within the steps the last block sees, never less than `k`, so 256
steps take (13, 9, 5) where 128 take (7, 5, 3): 84.73 % against 84.09 % there
(experiments/kernel-window.toml). Windows of up to 159 steps get the same network either way.
`scale_input` instead brings the window itself to about REFERENCE_STEPS: windows of `n` steps are
averaged over `round(n / REFERENCE_STEPS)` steps at a time before the first block (a low-pass filter
and a decimation, as resampling 100 Hz to 50 Hz would be), so every layer sees the time scale the
recipe was chosen at; `pool` and `kernels` (scaled or not) then apply to the shortened window.
Windows of up to 191 steps are left as they are.
"""

import math

import torch.nn.functional as F
from torch import Tensor, nn

from harcnn.models.layers import PopBatchNorm, PopConv1d, PopLinear, PopulationModel, global_average, to_image
from harcnn.models.shapes import block_lengths, require_kernels_fit

REFERENCE_STEPS = 128  # the window `pool` and `kernels` are for when they scale: UCI HAR's 2.56 s at 50 Hz, where they were chosen


def scaled_pool(pool: int, seq_len: int) -> int:
    """`pool`, the pooling of a REFERENCE_STEPS-step window, for windows of `seq_len` steps: proportionally more, never less."""
    return max(pool, math.floor(pool * seq_len / REFERENCE_STEPS + 0.5))


def scaled_kernels(kernels: tuple[int, ...], seq_len: int, shortest: int) -> tuple[int, ...]:
    """`kernels`, odd sizes for a REFERENCE_STEPS-step window, for windows of `seq_len` steps: the largest odd size within
    the proportional one and within `shortest`, the steps the last block sees, never less than the size itself."""
    return tuple(max(k, _odd_within(min(k * seq_len / REFERENCE_STEPS, shortest))) for k in kernels)


def _odd_within(x: float) -> int:
    n = math.floor(x)
    return n if n % 2 else n - 1


class _Block(nn.Module):
    def __init__(self, members: int, c_in: int, c_out: int, kernels: tuple[int, ...]):
        super().__init__()
        convs, c = [], c_in
        for i, k in enumerate(kernels):
            convs += [PopConv1d(members, c, c_out, k, same=True, bias=False), PopBatchNorm(members, c_out)]
            if i < len(kernels) - 1:
                convs.append(nn.ReLU(inplace=True))
            c = c_out
        self.convs = nn.Sequential(*convs)
        self.shortcut = (
            nn.Sequential(PopConv1d(members, c_in, c_out, 1, bias=False), PopBatchNorm(members, c_out))
            if c_in != c_out
            else PopBatchNorm(members, c_out)
        )

    def forward(self, x: Tensor) -> Tensor:
        return (self.convs(x) + self.shortcut(x)).relu_()


class ResNet(PopulationModel):
    ANY_LENGTH = True
    WINDOW_SCALING = (
        f"with scale_input, windows of {REFERENCE_STEPS * 3 // 2} steps or more are averaged down to about {REFERENCE_STEPS} steps; "
        f"with scale_pool and scale_kernels, pool and kernels are those of {REFERENCE_STEPS}-step windows and grow in proportion with longer ones"
    )

    def __init__(
        self,
        c_in: int,
        n_classes: int,
        seq_len: int,
        members: int = 1,
        filters: int = 32,
        blocks: int = 3,
        kernels: tuple[int, ...] = (7, 5, 3),
        pool: int = 1,
        scale_pool: bool = False,
        scale_kernels: bool = False,
        scale_input: bool = False,
    ):
        super().__init__(members)
        self.average = scaled_pool(1, seq_len) if scale_input else 1
        seq_len //= self.average
        pool = scaled_pool(pool, seq_len) if scale_pool else pool
        if scale_kernels:
            kernels = scaled_kernels(kernels, seq_len, block_lengths(seq_len, pool, blocks)[-1])
        require_kernels_fit("resnet", seq_len, kernels, pool, blocks)
        self.pool = pool
        widths = [filters] + [2 * filters] * (blocks - 1)
        layers, c = [], c_in
        for w in widths:
            layers.append(_Block(members, c, w, kernels))
            c = w
        self.blocks = nn.Sequential(*layers)
        self.out = PopLinear(members, c, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, t)` windows to `(R, B, n_classes)` logits."""
        x = to_image(x)
        if self.average > 1:
            x = F.avg_pool2d(x, (1, self.average))
        for i, block in enumerate(self.blocks):
            x = block(x)
            if self.pool > 1 and i < len(self.blocks) - 1:
                x = F.max_pool2d(x, (1, self.pool), ceil_mode=True)
        return self.out(global_average(x, self.members))
