"""Residual network (ResNet) for time series classification.

Zhiguang Wang, Weizhong Yan and Tim Oates, "Time Series Classification from Scratch with Deep
Neural Networks: A Strong Baseline", IJCNN 2017; the strongest deep model of the benchmark of
Ismail Fawaz et al., "Deep learning for time series classification: a review", DMKD 2019. Three
residual blocks of three convolutions (kernels 8, 5, 3) with batch normalisation, a shortcut (a 1x1
convolution with batch normalisation where the width changes), global average pooling and the
output layer. Here the kernels are odd (7, 5, 3) and the widths scale with `filters` (filters,
2 * filters, 2 * filters; the paper's are filters = 64).
"""

from torch import Tensor, nn

from harcnn.models.layers import PopBatchNorm, PopConv1d, PopLinear, PopulationModel, global_average, to_image


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

    def __init__(
        self,
        c_in: int,
        n_classes: int,
        seq_len: int,
        members: int = 1,
        filters: int = 32,
        blocks: int = 3,
        kernels: tuple[int, ...] = (7, 5, 3),
    ):
        super().__init__(members)
        widths = [filters] + [2 * filters] * (blocks - 1)
        layers, c = [], c_in
        for w in widths:
            layers.append(_Block(members, c, w, kernels))
            c = w
        self.blocks = nn.Sequential(*layers)
        self.out = PopLinear(members, c, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, t)` windows to `(R, B, n_classes)` logits."""
        return self.out(global_average(self.blocks(to_image(x)), self.members))
