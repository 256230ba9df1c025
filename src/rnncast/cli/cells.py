"""Inside the cells: the vanishing gradient and long-term memory experiments."""

from __future__ import annotations

from typing import Annotated

import typer

from rnncast.cli import options as opt
from rnncast.cli.common import app, fail, out
from rnncast.config import DEFAULTS
from rnncast.errors import RnncastError

# Commands import their machinery when they run, so `rnncast --help` stays
# quick and free of PyTorch: the function-level imports below are deliberate.

_D = DEFAULTS

# -- inside the cells -----------------------------------------------------------------------
ExpOut = Annotated[str, typer.Option("--out", help="Output directory.")]


@app.command()
def gradients(
    out_dir: ExpOut = "runs/gradients",
    length: Annotated[int, typer.Option(help="Sequence length T of the adding problem.")] = 100,
    hidden: Annotated[int, typer.Option(help="Units of every cell.")] = 32,
    train_steps: Annotated[int, typer.Option(help="Training steps per cell.")] = 600,
    seed: opt.Seed = 0,
    overwrite: opt.Overwrite = False,
) -> None:
    """The vanishing gradient: ‖∂L/∂h_k‖ against T − k for SimpleRNN (tanh, relu, orthogonal),
    LSTM (forget bias 0 and 1) and GRU, at initialisation and after training."""
    try:
        from rnncast.experiments import gradients as experiment
        from rnncast.jobs import run_experiment

        settings = experiment.GradientSettings(length, hidden, train_steps, seed=seed)
        run_experiment(experiment, settings, out_dir, overwrite, out, "gradients")
    except (RnncastError, OSError) as exc:
        fail(exc)


@app.command()
def memory(
    out_dir: ExpOut = "runs/memory",
    lags: Annotated[
        str, typer.Option(help="Lags k to try, comma-separated (the docs' picture adds 60).")
    ] = "1,5,10,20,40",
    hidden: Annotated[int, typer.Option(help="Units of every cell.")] = 32,
    train_steps: Annotated[int, typer.Option(help="Training steps per cell and lag.")] = 500,
    seed: opt.Seed = 0,
    overwrite: opt.Overwrite = False,
) -> None:
    """Long-term memory: accuracy on recalling the sign seen k steps back, for SimpleRNN, LSTM
    and GRU with the same budget."""
    try:
        from rnncast.experiments import memory as experiment
        from rnncast.jobs import run_experiment

        settings = experiment.MemorySettings(_lags(lags), hidden, train_steps, seed=seed)
        run_experiment(experiment, settings, out_dir, overwrite, out, "memory")
    except (RnncastError, OSError) as exc:
        fail(exc)


def _lags(text: str) -> list[int]:
    try:
        lags = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise RnncastError(
            f"--lags must be whole numbers separated by commas; got {text!r}."
        ) from None
    if not lags or lags[0] < 1:
        raise RnncastError(f"--lags must be whole numbers >= 1; got {text!r}.")
    return lags
