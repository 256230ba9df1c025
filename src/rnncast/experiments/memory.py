"""How far back can each cell remember? Accuracy on the recall task against the lag k.

SimpleRNN, LSTM and GRU get the same budget — units, training steps, batch size, learning
rate — and must output the sign seen k steps before the end. Chance is 50%.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from rnncast.experiments.common import Probe, seeded, train_probe, write_csv
from rnncast.experiments.tasks import recall_problem

CELLS = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}


@dataclass
class MemorySettings:
    lags: list[int] = field(default_factory=lambda: [1, 5, 10, 20, 40])
    hidden: int = 32
    train_steps: int = 500
    batch: int = 64
    seed: int = 0


def run(settings: MemorySettings) -> list[dict]:
    """Rows of cell, lag and held-out accuracy (%)."""
    steps = max(settings.lags) + 1
    rows = []
    for name, cell in CELLS.items():
        for lag in settings.lags:
            rng = seeded(settings.seed)
            model = Probe(cell, 1, settings.hidden)

            def sample(rng=rng, lag=lag):
                return recall_problem(settings.batch, steps, lag, seed=int(rng.integers(1 << 31)))

            loss = train_probe(
                model,
                sample,
                settings.train_steps,
                torch.nn.functional.binary_cross_entropy_with_logits,
            )
            rows.append(
                {
                    "cell": name,
                    "lag": lag,
                    "accuracy": _accuracy(model, steps, lag),
                    "final_train_loss": loss,
                }
            )
    return rows


@torch.no_grad()
def _accuracy(model: Probe, steps: int, lag: int) -> float:
    x, y = recall_problem(2000, steps, lag, seed=12345)
    logits = model(torch.as_tensor(x, dtype=torch.float32)).numpy()
    return float(100 * np.mean((logits > 0) == (y > 0.5)))


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name in CELLS:
        sel = [r for r in rows if r["cell"] == name]
        ax.plot([r["lag"] for r in sel], [r["accuracy"] for r in sel], marker="o", label=name)
    ax.axhline(50, color="grey", ls=":", label="chance")
    ax.set_xlabel("lag k: the answer was seen k steps before the end")
    ax.set_ylabel("held-out accuracy (%)")
    ax.set_ylim(40, 102)
    ax.set_title("Remembering one bit over k steps, same budget for every cell")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(rows: list[dict], out: Path) -> None:
    write_csv(out / "memory.csv", rows)
    plot(rows, out / "memory.png")
