"""Forecasting networks. Legend: B batch, L lookback, F input features, H horizon, C targets.

Every network maps ``x`` of shape (B, L, F) to ``y`` of shape (B, H, C) and holds nothing but
layers: no loss, optimizer, scaler or DataFrame.

>>> net = build_network("lstm", input_size=2, units=(8, 4), horizon=3, n_targets=1)
>>> net(torch.zeros(5, 10, 2)).shape
torch.Size([5, 3, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rnncast.nn.layers import RecurrentLayer


class RecurrentNet(nn.Module):
    """A stack of recurrent layers, each followed by dropout, then a linear head on the last step.

    Args:
        cell: ``rnn``, ``lstm`` or ``gru``.
        input_size: F, features per step.
        units: Hidden size of each layer, bottom to top.
        horizon: H, steps predicted at once (vector output).
        n_targets: C, target series.
        dropout: Dropout rate after each recurrent layer.
        activation: ``tanh`` or ``relu`` inside the cells.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        units: Sequence[int],
        horizon: int,
        n_targets: int,
        dropout: float = 0.0,
        activation: str = "tanh",
    ) -> None:
        super().__init__()
        self.horizon, self.n_targets = horizon, n_targets
        sizes = [input_size, *units]
        self.recurrent = nn.ModuleList(
            RecurrentLayer(cell, i, o, activation) for i, o in zip(sizes, units, strict=False)
        )
        self.dropouts = nn.ModuleList(nn.Dropout(dropout) for _ in units)
        self.head = nn.Linear(units[-1], horizon * n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer, drop in zip(self.recurrent, self.dropouts, strict=False):
            x = drop(layer(x))  # (B, L, in) -> (B, L, hidden)
        y = self.head(x[:, -1])  # (B, hidden) -> (B, H * C)
        return y.view(-1, self.horizon, self.n_targets)  # (B, H * C) -> (B, H, C)


class DenseNet(nn.Module):
    """Multilayer perceptron on the flattened window: the non-recurrent baseline.

    Args:
        input_size: F, features per step.
        lookback: L, steps per window.
        units: Width of each hidden layer.
        horizon: H, steps predicted at once.
        n_targets: C, target series.
        dropout: Dropout rate after each hidden layer.
        activation: ``tanh`` or ``relu`` after each hidden layer.
    """

    def __init__(
        self,
        input_size: int,
        lookback: int,
        units: Sequence[int],
        horizon: int,
        n_targets: int,
        dropout: float = 0.0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.horizon, self.n_targets = horizon, n_targets
        act = nn.ReLU if activation == "relu" else nn.Tanh
        sizes = [input_size * lookback, *units]
        blocks: list[nn.Module] = [nn.Flatten()]
        for i, o in zip(sizes[:-1], sizes[1:], strict=False):
            blocks += [nn.Linear(i, o), act(), nn.Dropout(dropout)]
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(units[-1], horizon * n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.head(self.body(x))  # (B, L, F) -> (B, L * F) -> (B, H * C)
        return y.view(-1, self.horizon, self.n_targets)  # (B, H * C) -> (B, H, C)


def build_network(
    model: str,
    input_size: int,
    units: Sequence[int],
    horizon: int,
    n_targets: int,
    lookback: int = 1,
    dropout: float = 0.0,
    activation: str = "tanh",
) -> nn.Module:
    """Build the network named ``model`` (``lstm``, ``gru``, ``rnn`` or ``dense``)."""
    if model == "dense":
        return DenseNet(input_size, lookback, units, horizon, n_targets, dropout, activation)
    return RecurrentNet(model, input_size, units, horizon, n_targets, dropout, activation)
