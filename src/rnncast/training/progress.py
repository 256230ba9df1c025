"""A per-epoch progress display (rich), shared by the CLI and ``Forecaster(verbose=True)``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def epoch_progress(console: Console | None, epochs: int, enabled: bool) -> Iterator:
    """Yield an ``on_epoch(epoch, train_loss, val_loss)`` callback that updates a bar."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("epoch"),
        MofNCompleteColumn(),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    bar = Progress(*columns, console=console, transient=False)
    task = bar.add_task("", total=epochs)

    def on_epoch(epoch: int, train_loss: float, val_loss: float | None) -> None:
        if not bar.live.is_started:  # shown from the first finished epoch, not before
            bar.start()
        text = f"train loss {train_loss:.4g}"
        if val_loss is not None:
            text += f"  val loss {val_loss:.4g}"
        bar.update(task, completed=epoch, description=text)

    try:
        yield on_epoch
    finally:
        if bar.live.is_started:
            bar.update(task, total=bar.tasks[0].completed)  # early stop: ends where it did
            bar.stop()
