"""Fully convolutional network (FCN) for time series classification.

Zhiguang Wang, Weizhong Yan and Tim Oates, "Time Series Classification from Scratch with Deep
Neural Networks: A Strong Baseline", IJCNN 2017: three convolutions (kernels 8, 5, 3; 128, 256
and 128 filters), each followed by batch normalisation and ReLU, then global average pooling and
the output layer. Here the kernels are odd (7, 5, 3: 'same' padding stays symmetric) and the
widths scale with `filters` (filters, 2 * filters, filters; the paper's are filters = 128). Global
average pooling makes the model accept windows of any length.
"""

from torch import Tensor, nn

from harcnn.models.layers import PopBatchNorm, PopConv1d, PopLinear, PopulationModel, global_average, to_image
from harcnn.models.shapes import require_kernels_fit


class FCN(PopulationModel):
    ANY_LENGTH = True

    def __init__(self, c_in: int, n_classes: int, seq_len: int, members: int = 1, filters: int = 64, kernels: tuple[int, ...] = (7, 5, 3)):
        super().__init__(members)
        require_kernels_fit("fcn", seq_len, kernels)
        widths = [filters, 2 * filters, filters][: len(kernels)] + [filters] * max(0, len(kernels) - 3)
        layers, c = [], c_in
        for k, w in zip(kernels, widths):
            layers += [PopConv1d(members, c, w, k, same=True, bias=False), PopBatchNorm(members, w), nn.ReLU(inplace=True)]
            c = w
        self.features = nn.Sequential(*layers)
        self.out = PopLinear(members, c, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, t)` windows to `(R, B, n_classes)` logits."""
        return self.out(global_average(self.features(to_image(x)), self.members))
