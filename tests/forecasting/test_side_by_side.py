"""Ensemble members trained side by side in worker processes (``jobs``): the numbers of
training them one after another, a stop that resumes to them, and when it is chosen."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import Forecaster, datasets
from rnncast.cli.app import app
from rnncast.forecasting import fitting
from rnncast.persistence.checkpoint import TrainingInterrupted
from rnncast.runtime import distributed as dist

SETTINGS = dict(model="gru", units=8, lookback=12, horizon=3, epochs=3, batch_size=16, seed=0)
SETTINGS.update(members=3, dropout=0.2)

pytestmark = pytest.mark.skipif(
    not fitting.parallel.available(), reason="members train side by side where processes fork"
)


def _same_weights(a: Forecaster, b: Forecaster) -> None:
    for (name, x), y in zip(
        a.predictor_.net.state_dict().items(), b.predictor_.net.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6, msg=name)


def test_side_by_side_gives_the_weights_of_one_after_another():
    data = datasets.load("airline")
    in_turn = Forecaster(**SETTINGS, jobs=1).fit(data, target="passengers")
    side = Forecaster(**SETTINGS, jobs=2).fit(data, target="passengers")
    _same_weights(in_turn, side)
    first = [p for p in side.predictor_.net.members[0].parameters()][0]
    second = [p for p in side.predictor_.net.members[1].parameters()][0]
    assert not torch.equal(first, second)  # each its own seed, as in turn
    assert side.history_.train_windows == in_turn.history_.train_windows
    pd.testing.assert_frame_equal(side.forecast(3), in_turn.forecast(3), rtol=1e-5)


@pytest.mark.slow  # sends a real signal
def test_a_stop_while_members_train_side_by_side_resumes_to_the_same_weights(tmp_path):
    data = tmp_path / "airline.csv"
    datasets.load("airline").to_csv(data, index=False)
    settings = {**SETTINGS, "epochs": 60}  # long enough for the stop to land mid-training
    whole = Forecaster(**settings, jobs=1).fit(str(data), target="passengers")

    calls = []

    def interrupt(epoch, train_loss, val_loss):  # at the first report of the first member
        calls.append(epoch)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    ckpt = tmp_path / "ckpt"
    with pytest.raises(TrainingInterrupted, match="fit --resume"):
        Forecaster(**settings, jobs=3).fit(
            str(data), target="passengers", on_epoch=interrupt, checkpoint=str(ckpt)
        )
    resumed = Forecaster.resume(str(ckpt))  # goes on side by side too (jobs=3 is saved)
    _same_weights(whole, resumed)
    assert resumed.history_.train_windows == whole.history_.train_windows  # none counted twice


def test_when_members_train_side_by_side(monkeypatch):
    # as in a process that has not used a GPU (an earlier test's fit can have, on a GPU machine)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    cpu, cfg = torch.device("cpu"), Forecaster(**SETTINGS).config()
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert fitting.member_processes(cfg, 3, cpu, dist.SINGLE, windows=100) == 1  # too little
        assert fitting.member_processes(cfg, 3, cpu, dist.SINGLE, windows=10**6) == 2
        assert fitting.member_processes(cfg, 1, cpu, dist.SINGLE, windows=10**6) == 1
        forced = Forecaster(**SETTINGS, jobs=8).config()
        assert fitting.member_processes(forced, 3, cpu, dist.SINGLE, windows=1) == 3
        assert fitting.member_processes(forced, 3, torch.device("cuda"), dist.SINGLE, 1) == 1
    finally:
        torch.set_num_threads(threads)


def test_jobs_from_the_cli(tmp_path):
    args = ["fit", "airline", "--target", "passengers", "--model", "gru", "--units", "4"]
    args += ["--members", "2", "--epochs", "1", "--quiet", "--device", "cpu"]  # CPU workers
    # a process of its own: one that has used a GPU (an earlier test's) trains members in turn
    command = [sys.executable, "-m", "rnncast", *args, "--jobs", "2", "--out"]
    result = subprocess.run([*command, str(tmp_path / "run")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "side by side in 2 processes" in " ".join(result.stdout.split())
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["train_processes"] == 2
    bad = CliRunner().invoke(app, [*args, "--jobs", "0", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--jobs" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "bad").exists()


def test_jobs_that_cannot_be_used_are_named(tmp_path, monkeypatch):
    """Where processes cannot fork (as on a GPU or under torchrun, where members train in
    turn), ``--jobs`` is not silently dropped: the fit says why it went unused."""
    from rnncast.training import parallel

    monkeypatch.setattr(parallel, "available", lambda: False)
    args = ["fit", "airline", "--target", "passengers", "--model", "gru", "--units", "4"]
    args += ["--members", "2", "--epochs", "1", "--device", "cpu", "--jobs", "2"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "--jobs 2 was not used: this system cannot fork" in said
    assert "side by side" not in said
    assert fitting.in_turn_only(torch.device("cuda"), dist.SINGLE) is not None
    monkeypatch.undo()
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)  # no GPU used yet
    assert fitting.in_turn_only(torch.device("cpu"), dist.SINGLE) is None
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)  # as after a GPU's fit
    assert "has used the GPU" in fitting.in_turn_only(torch.device("cpu"), dist.SINGLE)
    assert fitting.in_turn_only(torch.device("cpu"), dist.Context(rank=1, world=2)) is not None


def test_an_error_in_on_epoch_stops_every_worker():
    """A tuning trial pruned by its report raises in ``on_epoch``: the workers stop with it
    instead of training on (5,000 epochs would take minutes)."""

    def prune(epoch, train_loss, val_loss):
        raise RuntimeError("pruned")

    start = time.monotonic()
    with pytest.raises(RuntimeError, match="pruned"):
        Forecaster(**{**SETTINGS, "epochs": 5000, "patience": 0}, jobs=2).fit(
            datasets.load("airline"), target="passengers", on_epoch=prune
        )
    assert time.monotonic() - start < 30


def _alive(pid: int) -> bool:
    try:
        status = open(f"/proc/{pid}/status").read()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended


@pytest.mark.slow  # starts and kills a process
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table in /proc")
def test_workers_end_when_their_parent_is_killed(tmp_path):
    """Killed outright (SIGKILL), a fit cannot tell its workers; they must not train on."""
    script = tmp_path / "fit.py"
    script.write_text(
        "from rnncast import Forecaster, datasets\n"
        "Forecaster(model='gru', units=8, members=2, jobs=2, epochs=100000, patience=0, "
        "device='cpu')"
        ".fit(datasets.load('airline'), target='passengers')\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 60
    children: list[int] = []
    while len(children) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        tasks = Path(f"/proc/{parent.pid}/task")
        children = [
            int(pid) for task in tasks.iterdir() for pid in (task / "children").read_text().split()
        ]
    assert len(children) >= 2, "the workers never started"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)
