"""The vanishing gradient, measured: ‖∂L/∂h_k‖ against the distance T − k from the loss.

For each variant (SimpleRNN tanh, relu, tanh with orthogonal recurrent weights; LSTM with
forget-gate bias 0 and 1; GRU), the loss sits on the last step of the adding problem; the
gradient reaching every earlier hidden state is computed by the NumPy reference's
backpropagation through time, once at initialisation and once after training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnncast.experiments.common import VARIANTS, Probe, seeded, train_probe, write_csv
from rnncast.experiments.tasks import adding_problem
from rnncast.reference import from_torch


@dataclass
class GradientSettings:
    steps: int = 100  # sequence length T
    hidden: int = 32
    train_steps: int = 600
    batch: int = 64
    seed: int = 0


def gradient_norms(model: Probe, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean over the batch of ‖∂L/∂h_k‖ for k = 1..T, with L the mean squared error of the
    read-out of h_T."""
    ref = from_torch(model.recurrent.rnn)
    outputs, _ = ref.forward(x)
    w = model.readout.weight.detach().double().numpy()[0]  # (H,)
    b = float(model.readout.bias.detach())
    residual = outputs[:, -1] @ w + b - y  # (B,)
    dy = np.zeros_like(outputs)
    dy[:, -1] = (2 / len(y)) * residual[:, None] * w[None, :]  # ∂L/∂h_T
    ref.backward(dy)
    return np.linalg.norm(ref.dh_, axis=2).mean(axis=0)  # (B, T, H) -> (T,)


def run(settings: GradientSettings) -> list[dict]:
    """Rows of variant, phase, distance and gradient norm; and each variant's final loss."""
    rows = []
    for name, (cell, options) in VARIANTS.items():
        rng = seeded(settings.seed)
        model = Probe(cell, 2, settings.hidden, **options)
        x, y = adding_problem(256, settings.steps, seed=settings.seed + 1)
        rows += _rows(name, "initialisation", gradient_norms(model, x, y), None)

        def sample(rng=rng):
            return adding_problem(settings.batch, settings.steps, seed=int(rng.integers(1 << 31)))

        loss = train_probe(model, sample, settings.train_steps, torch.nn.functional.mse_loss)
        rows += _rows(name, "trained", gradient_norms(model, x, y), loss)
    return rows


def _rows(name, phase, norms, loss) -> list[dict]:
    steps = len(norms)
    return [
        {
            "variant": name,
            "phase": phase,
            "distance": steps - 1 - k,
            "grad_norm": float(norms[k]),
            "final_train_loss": loss,
        }
        for k in range(steps)
    ]


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    for ax, phase in zip(axes, ("initialisation", "trained"), strict=True):
        for name in VARIANTS:
            sel = [r for r in rows if r["variant"] == name and r["phase"] == phase]
            dist = [r["distance"] for r in sel]
            ax.plot(dist, [max(r["grad_norm"], 1e-30) for r in sel], label=name, lw=1.4)
        ax.set_yscale("log")
        ax.set_xlabel("distance T − k from the loss (steps)")
        ax.set_title(f"at {phase}" if phase == "initialisation" else "after training")
    axes[0].set_ylabel("‖∂L/∂h_k‖ (mean over sequences)")
    axes[1].legend(fontsize=8, loc="lower left")
    fig.suptitle("How far back does the gradient reach? (adding problem)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(rows: list[dict], out: Path) -> None:
    write_csv(out / "gradients.csv", rows)
    plot(rows, out / "gradients.png")
