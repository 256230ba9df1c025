"""Progress where no terminal shows a bar (a log file, CI, nohup): plain lines, at a rate."""

from __future__ import annotations

import io

from rich.console import Console

from rnncast import Forecaster, datasets
from rnncast.training.progress import epoch_progress, plain_progress


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=200), buffer


def test_a_fit_logged_to_a_file_prints_plain_lines_as_it_goes():
    console, buffer = _console()
    assert not console.is_terminal
    with epoch_progress(console, 6, enabled=True) as on_epoch:
        Forecaster(model="gru", units=4, epochs=6).fit(
            datasets.load("airline"), target="passengers", on_epoch=on_epoch
        )
    lines = buffer.getvalue().splitlines()
    assert lines[0].startswith("epoch 1/6: train loss ") and "val loss" in lines[0]
    assert lines[-1].startswith("epoch 6/6:") and lines[-1].endswith("s left")


def test_lines_come_at_most_every_so_often_and_name_the_member():
    console, buffer = _console()
    on_epoch = plain_progress(console, 50, every=3600.0)
    for _ in range(2):  # two members
        for epoch in range(1, 51):
            on_epoch(epoch, 1.0 / epoch, None)
    lines = buffer.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "epoch 1/50",
        "epoch 50/50",
        "member 2, epoch 1/50",
        "member 2, epoch 50/50",
    ]
    console, buffer = _console()
    every_epoch = plain_progress(console, 5, every=0.0)
    for epoch in range(1, 6):
        every_epoch(epoch, 0.5, 0.25)
    assert len(buffer.getvalue().splitlines()) == 5


def test_a_long_epoch_shows_its_batches_in_a_log(monkeypatch):
    """Inside an epoch longer than the rate, lines name the batch the training loop is on."""
    from rnncast.training import progress

    monkeypatch.setattr(progress, "PLAIN_EVERY", 0.0)  # every epoch is long
    console, buffer = _console()
    with epoch_progress(console, 2, enabled=True) as on_epoch:
        Forecaster(model="gru", units=4, epochs=2, batch_size=16, val_size=0.1, test_size=0.1).fit(
            datasets.load("airline"), target="passengers", on_epoch=on_epoch
        )
    lines = buffer.getvalue().splitlines()
    inside = [line for line in lines if ": batch " in line]
    assert inside and inside[0].startswith("epoch 1/2: batch 1/")
    batches = int(inside[0].split("batch 1/")[1].split(",")[0])
    assert f"epoch 2/2: batch {batches}/{batches}, train loss so far " in "\n".join(lines)
    assert sum(line.startswith("epoch 2/2: train loss") for line in lines) == 1


def test_short_epochs_print_no_batch_lines():
    console, buffer = _console()
    on_epoch = plain_progress(console, 3, every=3600.0)
    on_epoch.on_batch(1, 10, 0.5)
    on_epoch(1, 0.5, None)
    on_epoch.on_batch(5, 10, 0.5)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("epoch 1/3: train loss")


def test_a_terminal_shows_a_bar_of_batches_in_a_long_epoch(monkeypatch):
    import time

    from rnncast.training import progress

    monkeypatch.setattr(progress, "LONG_EPOCH", 0.0)
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True)
    with epoch_progress(console, 4, enabled=True) as on_epoch:
        on_epoch.on_batch(3, 10, 0.25)
        deadline = time.monotonic() + 5
        while "3/10" not in buffer.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)  # the bar redraws ten times a second
        shown = buffer.getvalue()
    assert "batch" in shown and "3/10" in shown and "train loss so far 0.25" in shown
