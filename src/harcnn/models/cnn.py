"""The tutorial's 1D CNN for human activity recognition.

Jason Brownlee, "1D Convolutional Neural Network Models for Human Activity Recognition" (2018),
after the UCI HAR setup of Anguita et al. (ESANN 2013): two Conv1D + ReLU, Dropout, MaxPool,
Flatten, Dense + ReLU, Dense output. The softmax lives in the loss, so the model returns logits.
"""

from torch import Tensor

from harcnn.models.droppool import DropPoolFlatten
from harcnn.models.layers import PopConv1d, PopLinear, PopulationModel, to_image
from harcnn.models.shapes import require_length


class CNN(PopulationModel):
    def __init__(
        self,
        c_in: int,
        n_classes: int,
        seq_len: int,
        members: int = 1,
        filters: int = 64,
        kernel: int = 3,
        dropout: float = 0.5,
        dense: int = 100,
        pool: int = 2,
    ):
        super().__init__(members)
        conv_len = seq_len - 2 * (kernel - 1)
        require_length("cnn", seq_len, conv_len // pool, f"two convolutions of kernel {kernel} and pooling by {pool}")
        self.conv1 = PopConv1d(members, c_in, filters, kernel)
        self.conv2 = PopConv1d(members, filters, filters, kernel)
        self.drop_pool = DropPoolFlatten(members, dropout, pool)
        self.fc = PopLinear(members, filters * (conv_len // pool), dense)
        self.out = PopLinear(members, dense, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, seq_len)` windows to `(R, B, n_classes)` logits."""
        h = self.conv2(self.conv1(to_image(x)).relu_())
        return self.out(self.fc(self.drop_pool(h)).relu_())  # conv2's ReLU comes after pooling
