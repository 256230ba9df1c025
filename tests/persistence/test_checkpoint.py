"""Interrupted training: a stop saves a checkpoint, and resuming ends with the same weights."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import TINY, StopAfter
from rnncast import Forecaster, datasets
from rnncast.config import FitConfig
from rnncast.data.windows import Windows
from rnncast.errors import ConfigError, DataError, RunError
from rnncast.persistence.checkpoint import TrainingInterrupted, read_checkpoint
from rnncast.training.loop import train

RNNCAST = [sys.executable, "-m", "rnncast"]
# Dropout and a validation part, so the random state and the best weights must carry over.
SETTINGS = dict(TINY, epochs=6, dropout=0.2, batch_size=8)


def _windows(n: int, seed: int) -> Windows:
    values = np.random.default_rng(seed).normal(size=(n, 1)).cumsum(axis=0).astype(np.float32)
    return Windows(values, 6, (1,), [0], [0], np.arange(6, n))


def _net() -> torch.nn.Module:
    from rnncast.nn.networks import build_network
    from rnncast.nn.spec import parse_spec

    torch.manual_seed(0)
    return build_network(parse_spec("lstm(8) > dropout(0.3) > dense"), 1, 6, 1, 1)


@pytest.mark.parametrize("after", [1, 7, 23])
def test_resumed_training_ends_with_the_same_weights(after):
    cfg = FitConfig(**dict(SETTINGS, epochs=4))  # the plain LSTM of TINY
    train_set, val_set, cpu = _windows(120, 0), _windows(40, 1), torch.device("cpu")
    whole = _net()
    expected = train(whole, train_set, val_set, cfg, cpu)

    net = _net()
    stopped = train(net, train_set, val_set, cfg, cpu, stop=StopAfter(after))
    progress = stopped.interrupted
    # 114 windows in batches of 8: 15 batches an epoch
    assert (progress.epoch, progress.batch) == (after // 15 + 1, after % 15)
    torch.manual_seed(123)  # whatever happened since, the checkpoint's random state wins
    resumed = train(net, train_set, val_set, cfg, cpu, resume=(stopped, progress))
    for (name, a), b in zip(whole.state_dict().items(), net.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert resumed.train_loss == expected.train_loss
    assert resumed.val_loss == expected.val_loss
    assert resumed.best_epoch == expected.best_epoch


def test_sigint_in_the_api_saves_a_checkpoint_and_resume_matches(tmp_path, csv_file):
    whole = Forecaster(**SETTINGS).fit(csv_file, target="y", features="x")
    before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN under nohup

    def interrupt(epoch, train_loss, val_loss):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)  # a real signal, caught by rnncast's handler

    ckpt = tmp_path / "run"
    with pytest.raises(TrainingInterrupted, match=r"SIGINT at the start of epoch 3 of 6.*--resume"):
        Forecaster(**SETTINGS).fit(
            csv_file, target="y", features="x", on_epoch=interrupt, checkpoint=str(ckpt)
        )
    names = sorted(p.name for p in ckpt.iterdir())
    assert names == [".rnncast", "checkpoint.json", "checkpoint.safetensors"]
    assert signal.getsignal(signal.SIGINT) is before  # handler put back
    resumed = Forecaster.resume(str(ckpt))
    for a, b in zip(
        whole.predictor_.net.state_dict().values(),
        resumed.predictor_.net.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b)
    assert resumed.metrics_["test"] == whole.metrics_["test"]
    assert resumed.history_.epochs_run == 6


def test_the_signal_handlers_found_are_put_back(tmp_path, daily_frame):
    """Whatever handled SIGINT and SIGTERM before a fit (a caller's own handler, or SIG_IGN
    as under nohup) handles them again after it, stopped or not."""
    seen = []
    mine = lambda signum, frame: seen.append(signum)  # noqa: E731
    old = {
        s: signal.signal(s, h) for s, h in ((signal.SIGINT, mine), (signal.SIGTERM, signal.SIG_IGN))
    }
    try:

        def interrupt(epoch, *_):
            os.kill(os.getpid(), signal.SIGINT)

        with pytest.raises(TrainingInterrupted):
            Forecaster(**SETTINGS).fit(
                daily_frame, target="y", on_epoch=interrupt, checkpoint=str(tmp_path / "r")
            )
        assert signal.getsignal(signal.SIGINT) is mine and not seen  # rnncast's caught it
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)
        assert seen == [signal.SIGINT]  # and the caller's own handler is back in charge
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def test_resume_of_a_dataframe_fit_needs_the_data(tmp_path, daily_frame):
    def interrupt(epoch, *_):
        os.kill(os.getpid(), signal.SIGTERM)

    ckpt = str(tmp_path / "run")
    with pytest.raises(TrainingInterrupted, match="SIGTERM"):
        Forecaster(**SETTINGS).fit(daily_frame, target="y", on_epoch=interrupt, checkpoint=ckpt)
    with pytest.raises(ConfigError, match=r"pass the same data"):
        Forecaster.resume(ckpt)
    assert Forecaster.resume(ckpt, data=daily_frame).history_.epochs_run == 6


def test_resume_refuses_a_changed_data_file(tmp_path, csv_file):
    def interrupt(epoch, *_):
        os.kill(os.getpid(), signal.SIGINT)

    ckpt = str(tmp_path / "run")
    with pytest.raises(TrainingInterrupted):
        Forecaster(**SETTINGS).fit(csv_file, target="y", on_epoch=interrupt, checkpoint=ckpt)
    Path(csv_file).write_text(Path(csv_file).read_text().replace("2023-01-01", "2022-12-31"))
    with pytest.raises(DataError, match="changed since the fit was checkpointed"):
        Forecaster.resume(ckpt)


@pytest.fixture
def checkpoint(tmp_path, csv_file) -> Path:
    def interrupt(epoch, *_):
        os.kill(os.getpid(), signal.SIGINT)

    path = tmp_path / "run"
    with pytest.raises(TrainingInterrupted):
        Forecaster(**SETTINGS).fit(csv_file, target="y", on_epoch=interrupt, checkpoint=str(path))
    return path


def test_checkpoint_with_pickle_content_is_refused(checkpoint):
    (checkpoint / "checkpoint.safetensors").write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(RunError, match="holds pickle data"):
        Forecaster.resume(str(checkpoint))


def test_truncated_checkpoint_is_refused(checkpoint):
    data = (checkpoint / "checkpoint.safetensors").read_bytes()
    (checkpoint / "checkpoint.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="not a readable safetensors file"):
        Forecaster.resume(str(checkpoint))


def test_checkpoint_with_other_shapes_is_refused(checkpoint):
    meta = json.loads((checkpoint / "checkpoint.json").read_text())
    meta["settings"]["units"] = [16]  # the weights are for 8 units
    (checkpoint / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(RunError, match="wrong shape"):
        Forecaster.resume(str(checkpoint))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.update(format_version=99), "checkpoint format 99"),
        (lambda m: m["position"].update(epoch=-1), "'position' is not what rnncast writes"),
        (lambda m: m["settings"].update(shell="rm -rf /"), "Unknown setting 'shell'"),
        (lambda m: m["position"].update(shuffle_state={"x": 1}), "shuffling state"),
    ],
)
def test_edited_checkpoint_is_refused(checkpoint, edit, message):
    meta = json.loads((checkpoint / "checkpoint.json").read_text())
    edit(meta)
    (checkpoint / "checkpoint.json").write_text(json.dumps(meta))
    with pytest.raises(RunError, match=message):
        Forecaster.resume(str(checkpoint))


def test_a_finished_run_is_not_a_checkpoint(tmp_path, daily_frame):
    run = Forecaster(**TINY).fit(daily_frame, target="y").save(str(tmp_path / "r"))
    with pytest.raises(RunError, match="holds a finished run, not a checkpoint"):
        read_checkpoint(run)


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_stop_and_resume_give_the_uninterrupted_weights(tmp_path, sig, code):
    """A real signal at an arbitrary moment in the middle of training, then fit --resume."""
    settings = dict(model="lstm", units=8, dropout=0.1, lookback=12, epochs=100, batch_size=4)
    args = ["fit", "airline", "--target", "passengers", "--patience", "0", "-q"]
    for key, value in settings.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    run = tmp_path / "stopped"
    proc = subprocess.Popen([*RNNCAST, *args, "--out", str(run)], stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path / ".stopped.lock")  # taken just before the data is read and training
    time.sleep(1.0)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "rnncast fit --resume" in stderr
    position = json.loads((run / "checkpoint.json").read_text())["position"]
    assert 1 <= position["epoch"] < 100

    resumed = subprocess.run(
        [*RNNCAST, "fit", "--resume", str(run), "-q"], capture_output=True, text=True
    )
    assert resumed.returncode == 0, resumed.stderr
    assert not (run / "checkpoint.json").exists()
    whole = Forecaster(**settings, patience=0).fit(datasets.path("airline"), target="passengers")
    saved = Forecaster.load(str(run)).predictor_.net.state_dict()
    for name, tensor in whole.predictor_.net.state_dict().items():
        assert torch.equal(tensor, saved[name]), name


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "5"], "leave out --epochs"),
        (["airline"], "leave out DATA"),
        (["--out", "x"], "leave out --out"),
    ],
)
def test_cli_resume_refuses_new_settings(checkpoint, extra, message):
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    result = CliRunner().invoke(app, ["fit", "--resume", str(checkpoint), *extra])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_fit_without_data_says_what_it_needs():
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    result = CliRunner().invoke(app, ["fit", "--target", "y"])
    assert result.exit_code == 2
    assert "fit needs the data, e.g. rnncast fit prices.csv --target Close" in result.output


SAVER = """
import sys
from rnncast import Forecaster
a, b = Forecaster.load(sys.argv[1]), Forecaster.load(sys.argv[2])
open(sys.argv[4], "w").close()
while True:
    for f in (a, b):
        f.save(sys.argv[3], overwrite=True)
"""


@pytest.mark.slow
def test_sigkill_while_saving_leaves_the_old_or_the_new_run_whole(tmp_path, daily_frame):
    """Kill a process that keeps replacing a run at random moments: the run always loads,
    complete, with one or the other set of weights."""
    runs = []
    for seed in (0, 1):
        f = Forecaster(**dict(TINY, seed=seed)).fit(daily_frame, target="y")
        runs.append(f.save(str(tmp_path / f"run{seed}")))
    target = tmp_path / "target"
    Forecaster.load(runs[0]).save(str(target))
    weights = {(Path(r) / "weights.safetensors").read_bytes() for r in runs}
    rng = np.random.default_rng(0)
    for trial in range(4):
        ready = tmp_path / f"ready{trial}"
        proc = subprocess.Popen([sys.executable, "-c", SAVER, *runs, str(target), str(ready)])
        _wait_for(ready)
        time.sleep(rng.uniform(0.05, 0.6))
        proc.kill()
        proc.wait()
        loaded = Forecaster.load(str(target))  # complete: every file there and consistent
        assert loaded.metrics_ is not None
        assert (target / "weights.safetensors").read_bytes() in weights
    Forecaster.load(runs[1]).save(str(target), overwrite=True)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".target.")]
    assert leftovers == []  # the killed writers' temporary directories were cleared


def test_resume_finds_a_relative_data_file_from_another_directory(
    tmp_path, daily_frame, monkeypatch
):
    """The checkpoint keeps the data file's absolute path (checked by its SHA-256), so a
    resume started elsewhere finds it."""
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir(), elsewhere.mkdir()
    monkeypatch.chdir(work)
    daily_frame.to_csv("data.csv", index=False)

    def interrupt(epoch, *_):
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted):
        Forecaster(**SETTINGS).fit("data.csv", target="y", on_epoch=interrupt, checkpoint="ckpt")
    monkeypatch.chdir(elsewhere)
    assert Forecaster.resume(str(work / "ckpt")).history_.epochs_run == 6
