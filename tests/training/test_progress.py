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
