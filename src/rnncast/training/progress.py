"""A per-epoch progress display, shared by the CLI and ``Forecaster(verbose=True)``: a rich
bar on a terminal, plain lines elsewhere (a log file, CI, ``nohup``), where a bar would show
nothing until the end."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Seconds into an epoch before its batches are shown: short epochs show only the epoch count.
LONG_EPOCH = 2.0


@contextlib.contextmanager
def epoch_progress(console: Console | None, epochs: int, enabled: bool) -> Iterator:
    """Yield an ``on_epoch(epoch, train_loss, val_loss)`` callback that updates a bar (or
    prints plain lines when the console is not a terminal). Its ``on_batch(done, batches,
    loss)``, called by the training loop, shows the batches of an epoch that takes longer
    than ``LONG_EPOCH`` seconds on a second bar."""
    if not enabled:
        yield None
        return
    console = console or Console()
    if not console.is_terminal:
        yield plain_progress(console, epochs, PLAIN_EVERY)
        return
    columns = (
        TextColumn("{task.fields[unit]:>5}"),
        MofNCompleteColumn(),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    bar = Progress(*columns, console=console, transient=False)
    task = bar.add_task("", total=epochs, unit="epoch")
    inner = {"task": None, "since": time.monotonic(), "shown": 0.0}

    def show() -> None:
        if not bar.live.is_started:  # shown once there is something to show, not before
            bar.start()

    def on_epoch(epoch: int, train_loss: float, val_loss: float | None) -> None:
        show()
        text = f"train loss {train_loss:.4g}"
        if val_loss is not None:
            text += f"  val loss {val_loss:.4g}"
        bar.update(task, completed=epoch, description=text)
        if inner["task"] is not None:  # the next epoch's batches count from 0 and 0:00:00
            bar.reset(inner["task"], description="", visible=False)
        inner["since"] = time.monotonic()

    def on_batch(done: int, batches: int, loss: float) -> None:
        now = time.monotonic()
        if now - inner["since"] < LONG_EPOCH or now - inner["shown"] < 0.1:
            return
        show()
        inner["shown"] = now
        if inner["task"] is None:
            inner["task"] = bar.add_task("", total=batches, unit="batch")
        text = f"train loss so far {loss:.4g}"
        bar.update(inner["task"], total=batches, completed=done, description=text, visible=True)

    on_epoch.on_batch = on_batch
    try:
        yield on_epoch
    finally:
        if bar.live.is_started:
            bar.update(task, total=bar.tasks[0].completed)  # early stop: ends where it did
            if inner["task"] is not None:
                bar.update(inner["task"], visible=False)
            bar.stop()


# Seconds between plain progress lines: often enough to see a run live, rarely enough to keep
# a log readable (the first and last epochs are always shown).
PLAIN_EVERY = 10.0


def plain_progress(console: Console, epochs: int, every: float = PLAIN_EVERY):
    """An ``on_epoch`` callback printing ``epoch 5/40: train loss ..., 12 s, about 84 s
    left`` lines, at most one per ``every`` seconds; an ensemble's members each count from
    epoch 1 (member k is named). Its ``on_batch`` prints ``epoch 1/40: batch 300/900, ...``
    lines at the same rate inside an epoch that takes longer than ``every``."""
    now = time.monotonic()
    state = {"start": now, "last": -float("inf"), "member": 1, "epoch": 0, "since": now}

    def on_epoch(epoch: int, train_loss: float, val_loss: float | None) -> None:
        now = time.monotonic()
        if epoch <= state["epoch"]:  # the next member starts
            state.update(member=state["member"] + 1, start=now, last=-float("inf"))
        state["epoch"], state["since"] = epoch, now
        if now - state["last"] < every and epoch not in (1, epochs):
            return
        state["last"] = now
        elapsed = now - state["start"]
        left = elapsed / epoch * (epochs - epoch)
        losses = f"train loss {train_loss:.4g}" + (
            f", val loss {val_loss:.4g}" if val_loss is not None else ""
        )
        console.print(
            f"{_member(state)}epoch {epoch}/{epochs}: {losses}; {elapsed:.0f} s, about "
            f"{left:.0f} s left",
            highlight=False,
        )

    def on_batch(done: int, batches: int, loss: float) -> None:
        now = time.monotonic()
        if now - state["since"] < every or now - state["last"] < every:
            return
        state["last"] = now
        epoch = state["epoch"] + 1
        console.print(
            f"{_member(state)}epoch {epoch}/{epochs}: batch {done}/{batches}, train loss so far "
            f"{loss:.4g}; {now - state['start']:.0f} s",
            highlight=False,
        )

    on_epoch.on_batch = on_batch
    return on_epoch


def _member(state: dict) -> str:
    return f"member {state['member']}, " if state["member"] > 1 else ""
