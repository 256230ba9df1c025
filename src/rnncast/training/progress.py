"""A per-epoch progress display, shared by the CLI and ``Forecaster(verbose=True)``: a rich
bar on a terminal, plain lines elsewhere (a log file, CI, ``nohup``), where a bar would show
nothing until the end."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextlib.contextmanager
def epoch_progress(console: Console | None, epochs: int, enabled: bool) -> Iterator:
    """Yield an ``on_epoch(epoch, train_loss, val_loss)`` callback that updates a bar (or
    prints plain lines when the console is not a terminal)."""
    if not enabled:
        yield None
        return
    console = console or Console()
    if not console.is_terminal:
        yield plain_progress(console, epochs)
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


# Seconds between plain progress lines: often enough to see a run live, rarely enough to keep
# a log readable (the first and last epochs are always shown).
PLAIN_EVERY = 10.0


def plain_progress(console: Console, epochs: int, every: float = PLAIN_EVERY):
    """An ``on_epoch`` callback printing ``epoch 5/40: train loss ..., 12 s, about 84 s
    left`` lines, at most one per ``every`` seconds; an ensemble's members each count from
    epoch 1 (member k is named)."""
    state = {"start": time.monotonic(), "last": -float("inf"), "member": 1, "epoch": 0}

    def on_epoch(epoch: int, train_loss: float, val_loss: float | None) -> None:
        now = time.monotonic()
        if epoch <= state["epoch"]:  # the next member starts
            state.update(member=state["member"] + 1, start=now, last=-float("inf"))
        state["epoch"] = epoch
        if now - state["last"] < every and epoch not in (1, epochs):
            return
        state["last"] = now
        elapsed = now - state["start"]
        left = elapsed / epoch * (epochs - epoch)
        losses = f"train loss {train_loss:.4g}" + (
            f", val loss {val_loss:.4g}" if val_loss is not None else ""
        )
        member = f"member {state['member']}, " if state["member"] > 1 else ""
        console.print(
            f"{member}epoch {epoch}/{epochs}: {losses}; {elapsed:.0f} s, about {left:.0f} s left",
            highlight=False,
        )

    return on_epoch
