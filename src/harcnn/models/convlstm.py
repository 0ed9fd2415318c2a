"""DeepConvLSTM: convolutions that extract features per time step, LSTMs that read them in order.

Francisco Javier Ordóñez and Daniel Roggen, "Deep Convolutional and LSTM Recurrent Neural Networks
for Multimodal Wearable Activity Recognition", Sensors 16(1), 2016: four convolutions (64 filters,
kernel 5, ReLU) along time, two LSTM layers of 128 units, and the class read from the last step.
Here `pool` max-pools time before the LSTMs, which shortens the recurrence (the step-by-step part,
slow on a CPU) by that factor; pool = 1 is the paper's model.
"""

import torch.nn.functional as F
from torch import Tensor, nn

from harcnn.models.layers import PopConv1d, PopLinear, PopLSTM, PopulationModel, as_steps, to_image
from harcnn.models.shapes import require_length


class DeepConvLSTM(PopulationModel):
    def __init__(
        self,
        c_in: int,
        n_classes: int,
        seq_len: int,
        members: int = 1,
        filters: int = 64,
        kernel: int = 5,
        convs: int = 4,
        hidden: int = 128,
        lstms: int = 2,
        pool: int = 2,
    ):
        super().__init__(members)
        steps = (seq_len - convs * (kernel - 1)) // pool
        require_length("convlstm", seq_len, steps, f"{convs} convolutions of kernel {kernel} and pooling by {pool}")
        self.pool = pool
        self.convs = nn.ModuleList(PopConv1d(members, c_in if i == 0 else filters, filters, kernel) for i in range(convs))
        self.lstms = nn.ModuleList(PopLSTM(members, filters if i == 0 else hidden, hidden) for i in range(lstms))
        self.out = PopLinear(members, hidden, n_classes)

    def forward_members(self, x: Tensor) -> Tensor:
        """`(R, B, c_in, seq_len)` windows to `(R, B, n_classes)` logits."""
        h = to_image(x)
        for conv in self.convs:
            h = conv(h).relu_()
        if self.pool > 1:
            h = F.max_pool2d(h, (1, self.pool))
        seq = as_steps(h, self.members).permute(2, 0, 1, 3)  # (R, B, t, filters)
        for lstm in self.lstms:
            seq = lstm(seq)
        return self.out(seq[:, :, -1])
