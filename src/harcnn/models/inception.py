"""InceptionTime: a network of inception modules for time series classification.

Hassan Ismail Fawaz, Benjamin Lucas, Germain Forestier et al., "InceptionTime: Finding AlexNet for
Time Series Classification", Data Mining and Knowledge Discovery 34, 2020. Each module reduces its
input to `bottleneck` channels with a 1x1 convolution, reads that with three convolutions of
decreasing kernel (the paper's 40, 20, 10; odd here so that 'same' padding stays symmetric) beside a
max-pool + 1x1 branch, concatenates the four branches, then batch normalisation and ReLU. A
residual shortcut spans every three modules; global average pooling and the output layer close it.
The paper ensembles five such networks: a population of five members is that ensemble.
"""

import torch.nn.functional as F
from torch import Tensor, nn

from harcnn.models.layers import PopBatchNorm, PopConv1d, PopLinear, PopulationModel, cat_members, global_average, to_image
from harcnn.models.shapes import require_kernels_fit


class _Module(nn.Module):
    def __init__(self, members: int, c_in: int, filters: int, kernels: tuple[int, ...], bottleneck: int):
        super().__init__()
        self.members = members
        self.bottleneck = PopConv1d(members, c_in, bottleneck, 1, bias=False) if c_in > 1 else None
        c = bottleneck if c_in > 1 else c_in
        self.branches = nn.ModuleList(PopConv1d(members, c, filters, k, same=True, bias=False) for k in kernels)
        self.pool_conv = PopConv1d(members, c_in, filters, 1, bias=False)
        self.bn = PopBatchNorm(members, filters * (len(kernels) + 1))

    def forward(self, x: Tensor) -> Tensor:
        reduced = self.bottleneck(x) if self.bottleneck is not None else x
        pooled = F.max_pool2d(x, (1, 3), stride=1, padding=(0, 1))
        branches = [conv(reduced) for conv in self.branches] + [self.pool_conv(pooled)]
        return self.bn(cat_members(branches, self.members)).relu_()


class InceptionTime(PopulationModel):
    ANY_LENGTH = True

    def __init__(
        self,
        c_in: int,
        n_classes: int,
        seq_len: int,
        members: int = 1,
        filters: int = 32,
        depth: int = 6,
        kernels: tuple[int, ...] = (39, 19, 9),
        bottleneck: int = 32,
    ):
        super().__init__(members)
        require_kernels_fit("inception", seq_len, kernels)
        width = filters * (len(kernels) + 1)
        self.blocks, self.shortcuts = nn.ModuleList(), nn.ModuleList()
        c, c_res = c_in, c_in
        for d in range(depth):
            self.blocks.append(_Module(members, c, filters, kernels, bottleneck))
            c = width
            if d % 3 == 2:
                self.shortcuts.append(nn.Sequential(PopConv1d(members, c_res, width, 1, bias=False), PopBatchNorm(members, width)))
                c_res = width
        self.out = PopLinear(members, width, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, t)` windows to `(R, B, n_classes)` logits."""
        h = residual = to_image(x)
        for d, module in enumerate(self.blocks):
            h = module(h)
            if d % 3 == 2:
                h = residual = (h + self.shortcuts[d // 3](residual)).relu_()
        return self.out(global_average(h, self.members))
