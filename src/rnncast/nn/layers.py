"""One recurrent layer of any cell kind, with PyTorch's fused kernels where they apply.

PyTorch's fused LSTM and GRU only know ``tanh``; for another activation the same parameters
run through a step-by-step loop written against the gate equations (gate order as PyTorch:
LSTM i, f, g, o; GRU r, z, n).
"""

from __future__ import annotations

import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


class RecurrentLayer(nn.Module):
    """A single-layer RNN, LSTM or GRU over a whole sequence, batch first.

    Args:
        cell: ``rnn``, ``lstm`` or ``gru``.
        input_size: Features per step (F).
        hidden_size: Units of the layer.
        activation: ``tanh`` or ``relu`` (the candidate and, for LSTM, the cell output).

    Shape:
        input (B, L, F) -> output (B, L, hidden_size).

    >>> layer = RecurrentLayer("gru", input_size=3, hidden_size=5)
    >>> layer(torch.zeros(2, 7, 3)).shape
    torch.Size([2, 7, 5])
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, activation: str = "tanh"):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"`cell` must be one of {', '.join(CELLS)}; got {cell!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"`activation` must be tanh or relu; got {activation!r}.")
        self.cell, self.activation = cell, activation
        kwargs = {"nonlinearity": activation} if cell == "rnn" else {}
        self.rnn = CELLS[cell](input_size, hidden_size, batch_first=True, **kwargs)

    @property
    def hidden_size(self) -> int:
        return self.rnn.hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.cell == "rnn" or self.activation == "tanh":
            out, _ = self.rnn(x)
            return out
        return self.forward_loop(x)

    def forward_loop(self, x: torch.Tensor) -> torch.Tensor:
        """Step-by-step LSTM or GRU with the layer's activation; same weights as the fused op."""
        act = ACTIVATIONS[self.activation]
        w_ih, w_hh = self.rnn.weight_ih_l0, self.rnn.weight_hh_l0
        b_ih, b_hh = self.rnn.bias_ih_l0, self.rnn.bias_hh_l0
        batch, steps, _ = x.shape
        h = x.new_zeros(batch, self.hidden_size)
        c = x.new_zeros(batch, self.hidden_size)
        x_proj = x @ w_ih.T + b_ih  # (B, L, F) -> (B, L, G*hidden), all steps in one product
        outputs = []
        for t in range(steps):
            h_proj = h @ w_hh.T + b_hh  # (B, G*hidden)
            if self.cell == "lstm":
                i, f, g, o = (x_proj[:, t] + h_proj).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * act(g)
                h = torch.sigmoid(o) * act(c)
            else:  # gru: the reset gate scales the recurrent part of the candidate, as PyTorch
                xr, xz, xn = x_proj[:, t].chunk(3, dim=1)
                hr, hz, hn = h_proj.chunk(3, dim=1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                h = (1 - z) * act(xn + r * hn) + z * h
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # L x (B, hidden) -> (B, L, hidden)
