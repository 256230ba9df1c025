"""Nothing that rnncast did not write is deleted or replaced, and no stop costs a finished
run: checked by class, through the CLI (one line, exit 2) and the API (the same error)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import TINY
from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.errors import RunError
from rnncast.persistence.files import MARKER, writer_lock

FAST = ["--members", "1", "--units", "4", "--epochs", "1", "--lookback", "6", "--quiet"]


def _cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _user_folder(path: Path) -> dict[str, bytes]:
    """A folder of the user's own: data and notes, as they were."""
    path.mkdir(parents=True)
    (path / "sales.csv").write_text("date,y\n2024-01-01,1\n")
    (path / "README.md").write_text("my notes\n")
    return {p.name: p.read_bytes() for p in path.iterdir()}


def _unchanged(path: Path, before: dict[str, bytes]) -> bool:
    return {p.name: p.read_bytes() for p in path.iterdir()} == before


@pytest.fixture
def fitted(daily_frame) -> Forecaster:
    return Forecaster(**TINY).fit(daily_frame, target="y")


# -- --overwrite replaces only what rnncast wrote ------------------------------------------------
def test_overwrite_refuses_a_folder_of_the_users_own(tmp_path, fitted):
    folder = tmp_path / "mine"
    before = _user_folder(folder)
    result = _cli("fit", "airline", "--target", "passengers", *FAST, "--out", folder, "--overwrite")
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = " ".join(result.stderr.split())
    assert "holds files rnncast did not write (README.md, sales.csv)" in text
    assert "--overwrite replaces only an rnncast run or output" in text
    with pytest.raises(RunError, match=r"holds files rnncast did not write \(README.md"):
        fitted.save(str(folder), overwrite=True)
    assert _unchanged(folder, before)


@pytest.mark.parametrize("command", ["compare", "backtest", "explore"])
def test_every_writing_command_follows_the_same_rule(tmp_path, command):
    folder = tmp_path / "mine"
    before = _user_folder(folder)
    extra = {
        "compare": ["--target", "passengers", "--models", "dense", "--repeats", "1", *FAST],
        "backtest": ["--target", "passengers", "--folds", "2", "--test-size", "12", *FAST],
        "explore": [],
    }[command]
    result = _cli(command, "airline", *extra, "--out", folder, "--overwrite")
    assert result.exit_code == 2 and "holds files rnncast did not write" in result.stderr
    assert _unchanged(folder, before)


def test_overwrite_replaces_a_run_also_one_written_before_the_marker(tmp_path, fitted):
    path = Path(fitted.save(str(tmp_path / "run")))
    (path / MARKER).unlink()  # a run from before: known by its config.json alone
    fitted.save(str(path), overwrite=True)
    assert (path / MARKER).is_file() and Forecaster.load(str(path)).forecast(1).shape == (1, 2)


# -- a checkpoint never takes the place of a run or of the user's files --------------------------
@pytest.mark.parametrize("holds", ["the user's files", "a finished run"])
def test_a_checkpoint_place_is_checked_before_training(tmp_path, fitted, daily_frame, holds):
    folder = tmp_path / "place"
    if holds == "a finished run":
        fitted.save(str(folder))
        before = {p.name: p.read_bytes() for p in folder.iterdir()}
    else:
        before = _user_folder(folder)
    epochs = []
    with pytest.raises(RunError, match="a checkpoint there would replace it"):
        Forecaster(**TINY).fit(
            daily_frame, target="y", checkpoint=str(folder), on_epoch=lambda *a: epochs.append(a)
        )
    assert not epochs  # refused before any training
    assert _unchanged(folder, before)


@pytest.mark.slow
def test_a_stop_during_fit_overwrite_keeps_the_old_run_until_the_new_one_is_done(tmp_path):
    """Ctrl-C while `fit --overwrite` replaces a run: the old run stays whole, the checkpoint
    waits beside it, and `fit --resume` puts the finished run in its place."""
    run = tmp_path / "run"
    args = ["fit", "airline", "--target", "passengers", "--model", "lstm", "--units", "8"]
    args += ["--lookback", "12"]
    assert _cli(*args, "--epochs", "1", "--quiet", "--out", run).exit_code == 0
    old = (run / "weights.safetensors").read_bytes()
    rnncast = [sys.executable, "-m", "rnncast"]
    slow = [*args, "--epochs", "1000", "--patience", "0", "--quiet", "--out", str(run)]
    proc = subprocess.Popen([*rnncast, *slow, "--overwrite"], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / ".run.lock").exists():  # taken just before training
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    checkpoint = tmp_path / "run.checkpoint"
    assert f"rnncast fit --resume {checkpoint}" in " ".join(stderr.split())
    assert (run / "weights.safetensors").read_bytes() == old  # the old run, whole
    assert Forecaster.load(str(run)).config_.epochs == 1
    resumed = subprocess.run(
        [*rnncast, "fit", "--resume", str(checkpoint), "-q"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert Forecaster.load(str(run)).config_.epochs == 1000  # the new run took its place
    assert not checkpoint.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


# -- files: refused when they exist, locks never follow a link -----------------------------------
def test_forecast_out_never_replaces_a_file_without_overwrite(tmp_path, fitted):
    run = Path(fitted.save(str(tmp_path / "run")))
    config = (run / "config.json").read_bytes()
    result = _cli("forecast", run, "--steps", "2", "--out", run / "config.json")
    assert result.exit_code == 2
    assert "already exists; choose another --out or pass --overwrite" in result.stderr
    assert (run / "config.json").read_bytes() == config
    mine = tmp_path / "forecast.csv"
    mine.write_text("keep me\n")
    assert _cli("forecast", run, "--steps", "2", "--out", mine).exit_code == 2
    assert mine.read_text() == "keep me\n"
    assert _cli("forecast", run, "--steps", "2", "--out", mine, "--overwrite").exit_code == 0
    assert mine.read_text().startswith("date,y")


def test_a_lock_never_follows_a_planted_link(tmp_path):
    victim = tmp_path / "shared" / "notes.txt"
    victim.parent.mkdir()
    victim.write_text("the user's words\n")
    (tmp_path / ".run.lock").symlink_to(victim)
    with pytest.raises(RunError, match="must not be a link"), writer_lock(tmp_path / "run"):
        pass
    result = _cli("fit", "airline", "--target", "passengers", *FAST, "--out", tmp_path / "run")
    assert result.exit_code == 2 and "Cannot create the lock file" in result.stderr
    assert victim.read_text() == "the user's words\n"


def test_a_lock_file_of_the_user_is_not_truncated(tmp_path):
    lock = tmp_path / ".run.lock"
    lock.write_text("not a lock, but the user's\n")
    with writer_lock(tmp_path / "run"):
        assert lock.read_text() == "not a lock, but the user's\n"


# -- a save's temporary directory is never a run -------------------------------------------------
def test_a_killed_writers_temporary_directory_is_not_loaded(tmp_path, fitted):
    run = Path(fitted.save(str(tmp_path / "run")))
    temporary = tmp_path / f".run.tmp-{2**22 + 7}-abc"
    shutil.copytree(run, temporary)
    with pytest.raises(RunError, match="temporary directory of a save that did not finish"):
        Forecaster.load(str(temporary))
    result = _cli("forecast", temporary)
    assert result.exit_code == 2 and "not a run" in result.stderr
    fitted.save(str(run), overwrite=True)  # the next save there clears it away
    assert not temporary.exists() and os.listdir(tmp_path) == ["run"]
