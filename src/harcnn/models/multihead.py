"""The tutorial's multi-headed 1D CNN: parallel heads with different kernel sizes.

Jason Brownlee, "1D Convolutional Neural Network Models for Human Activity Recognition" (2018):
each head reads the same window at its own resolution (kernels 3, 5, 11) with Conv1D + ReLU,
Dropout, MaxPool and Flatten; the heads are concatenated into Dense + ReLU and the output layer.
"""

from torch import Tensor, nn

from harcnn.models.droppool import DropPoolFlatten
from harcnn.models.layers import PopConv1d, PopLinear, PopulationModel, to_image
from harcnn.models.shapes import require_length


class MultiHeadCNN(PopulationModel):
    def __init__(
        self,
        c_in: int,
        n_classes: int,
        seq_len: int,
        members: int = 1,
        kernels: tuple[int, ...] = (3, 5, 11),
        filters: int = 64,
        dropout: float = 0.5,
        dense: int = 100,
        pool: int = 2,
    ):
        super().__init__(members)
        lengths = [(seq_len - k + 1) // pool for k in kernels]
        for k, length in zip(kernels, lengths):
            require_length("multihead", seq_len, length, f"a head of kernel {k} and pooling by {pool}")
        self.heads = nn.ModuleList(PopConv1d(members, c_in, filters, k) for k in kernels)
        self.drop_pool = DropPoolFlatten(members, dropout, pool)
        self.fc = PopLinear(members, filters * sum(lengths), dense)
        self.out = PopLinear(members, dense, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, seq_len)` windows to `(R, B, n_classes)` logits."""
        x = to_image(x)
        flat = self.drop_pool(*(head(x) for head in self.heads))  # heads' ReLU after pooling, concatenated
        return self.out(self.fc(flat).relu_())
