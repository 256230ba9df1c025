"""A one-layer recurrent model for the experiments, its training loop, and result files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnncast.nn.layers import RecurrentLayer

# name -> (cell, RecurrentLayer options)
VARIANTS = {
    "SimpleRNN tanh": ("rnn", {"activation": "tanh"}),
    "SimpleRNN relu": ("rnn", {"activation": "relu"}),
    "SimpleRNN tanh, orthogonal": ("rnn", {"activation": "tanh", "orthogonal": True}),
    "LSTM, forget bias 0": ("lstm", {}),
    "LSTM, forget bias 1": ("lstm", {"forget_bias": 1.0}),
    "GRU": ("gru", {}),
}


class Probe(nn.Module):
    """One recurrent layer and a linear read-out of its last state: (B, T, F) -> (B,)."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, **options) -> None:
        super().__init__()
        self.recurrent = RecurrentLayer(cell, input_size, hidden_size, **options)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.recurrent(x)[:, -1])[:, 0]  # (B, T, H) -> (B, H) -> (B,)


def train_probe(model: Probe, sample, steps: int, loss_fn, lr: float = 3e-3) -> float:
    """Adam on fresh batches from ``sample()``; returns the last batch's loss."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        x, y = (torch.as_tensor(a, dtype=torch.float32) for a in sample())
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    return float(loss.detach())


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def seeded(seed: int) -> np.random.Generator:
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
