"""Every error is one line, whatever raised it: settings out of any sensible range, files of
the wrong kind, usage mistakes, and a machine that refuses a write. Nothing but a bug
reaches the user as a traceback, and a bug too is one line (its traceback under --debug);
nothing is left half-written."""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import TINY
from rnncast import Forecaster, jobs
from rnncast.cli.app import app, main
from rnncast.errors import RnncastError, in_python

FAST = ["--members", "1", "--units", "4", "--epochs", "1", "--lookback", "6", "--quiet"]


def _cli(*args) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stderr


def _one_line(code: int, stderr: str) -> str:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(" ".join(lines).split("Error: ")) == 2 and "Traceback" not in stderr, stderr
    return " ".join(stderr.split())


SETTINGS = [  # (CLI option, value, API keyword, value, the CLI's words)
    ("--lr", "nan", "lr", float("nan"), "--lr must be a finite number, got nan"),
    ("--lr", "inf", "lr", float("inf"), "--lr must be a finite number, got inf"),
    ("--clip-norm", "nan", "clip_norm", float("nan"), "--clip-norm must be a finite number"),
    ("--momentum", "nan", "momentum", float("nan"), "--momentum must be a finite number"),
    ("--dropout", "nan", "dropout", float("nan"), "--dropout must be a finite number"),
    ("--seed", "4294967296", "seed", 2**32, "--seed must be <= 4,294,967,295"),
    ("--units", "100000", "units", 100_000, "--units must all be in [1, 4,096], got 100,000"),
    ("--units", ",".join(["4"] * 65), "units", (4,) * 65, "--units stacks 65 layers; at most 64"),
    ("--lookback", "10000000000", "lookback", 10**10, "--lookback must be <= 10,000,000"),
    ("--horizon", "1000000", "horizon", 10**6, "--horizon must be <= 10,000"),
    ("--epochs", "10000000", "epochs", 10**7, "--epochs must be <= 1,000,000"),
    ("--model", "lstm(100000) > dense", "model", "lstm(100000) > dense", "at most 4,096"),
]


@pytest.mark.parametrize("option, text, keyword, value, words", SETTINGS)
def test_settings_beyond_any_sensible_range_are_refused_before_training(
    tmp_path, daily_frame, option, text, keyword, value, words
):
    out = tmp_path / "r"
    code, stderr = _cli("fit", "airline", "--target", "passengers", option, text, "--out", out)
    assert words in _one_line(code, stderr)
    assert not out.exists()
    with pytest.raises(RnncastError, match=re.escape(in_python(words))):
        Forecaster(**{**TINY, keyword: value}).fit(daily_frame, target="y")


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"lookback": 7.5}, "--lookback must be a whole number, got 7.5"),
        ({"units": [4, True]}, "--units must hold whole numbers, got True"),
        ({"model": 5}, "--model must be a name, a spec or a list of layers, got 5"),
        ({"epochs": "ten"}, "--epochs must be a whole number, got 'ten'"),
        ({"lr": 1e309}, "--lr must be a finite number, got inf"),
        ({"test_size": [1]}, "--test-size must be a fraction, a row count or a date"),
    ],
)
def test_a_config_file_of_the_wrong_types_is_one_line(tmp_path, settings, words):
    config = tmp_path / "best.json"
    config.write_text(json.dumps(settings))
    code, stderr = _cli("fit", "airline", "--target", "passengers", "--config", config)
    assert words in _one_line(code, stderr)
    with pytest.raises(TypeError if "whole" in words or "name" in words else RnncastError):
        Forecaster(**{**TINY, **settings}).config()


def test_a_wrong_type_is_a_type_error_to_python_and_the_librarys_own():
    with pytest.raises(TypeError, match="`lookback` must be a whole number") as caught:
        Forecaster(lookback=7.5).config()
    assert isinstance(caught.value, RnncastError)


@pytest.mark.parametrize(
    "args, words",
    [
        (["fit", "airline", "--target", "passengers", "--epochs", "1.5"], "'--epochs'"),
        (["fit", "airline", "--target", "passengers", "--bogus", "1"], "No such option: --bogus"),
        (["forecast"], "Missing argument"),
    ],
)
def test_usage_mistakes_are_one_line_too(capsys, args, words):
    with pytest.raises(SystemExit) as exited:
        main(args)
    stderr = capsys.readouterr().err
    assert exited.value.code == 2 and words in stderr and "rnncast" in stderr
    assert stderr.count("Error:") == 1 and "╭" not in stderr  # no boxed panel


def test_a_bug_is_one_line_that_says_so_and_debug_shows_its_traceback(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise AttributeError("'Ensemble' object has no attribute\n'blocks'")

    monkeypatch.setattr(jobs, "fit_and_report", broken)  # a bug in the job, the CLI intact
    args = ["fit", "airline", "--target", "passengers"]
    with pytest.raises(SystemExit) as exited:
        main(args)
    stderr = capsys.readouterr().err
    assert exited.value.code == 1 and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "AttributeError: 'Ensemble' object has no attribute 'blocks'" in stderr
    assert "bug in rnncast" in stderr and "--debug" in stderr
    with pytest.raises(AttributeError):
        main(["--debug", *args])


def test_main_exits_zero_after_a_command_that_worked(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["datasets"])
    assert exited.value.code == 0 and "electricity" in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_data_that_is_not_a_regular_file_is_refused_without_reading(tmp_path, kind):
    path = {"fifo": tmp_path / "pipe", "device": Path("/dev/null"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)  # reading it would block for ever
    code, stderr = _cli("fit", path, "--target", "y")
    text = _one_line(code, stderr)
    assert ("not a regular file" in text) if kind != "directory" else ("is a directory" in text)


def test_out_under_a_file_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    out = tmp_path / "notes.txt" / "run"
    code, stderr = _cli("fit", "airline", "--target", "passengers", *FAST, "--out", out)
    assert "is a file, so" in _one_line(code, stderr)
    assert (tmp_path / "notes.txt").read_text() == "mine\n"


def test_column_names_that_look_like_tex_do_not_break_the_plots(tmp_path):
    t = np.arange(80)
    frame = pd.DataFrame(
        {"date": pd.date_range("2020-01-01", periods=80, freq="D"), r"$\foo{$": np.sin(t) + 3}
    )
    f = Forecaster(**TINY).fit(frame, target=r"$\foo{$")
    path = Path(jobs.save_run(f, str(tmp_path / "run"), forecast_steps=2))
    assert (path / "forecast.png").stat().st_size > 0 and (path / "report.html").exists()


def _limit_file_size():  # a disk that refuses big files: writes fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))


@pytest.mark.slow
def test_a_refused_write_is_one_line_and_leaves_the_old_run_whole(tmp_path):
    rnncast = [sys.executable, "-m", "rnncast"]
    fit = [*rnncast, "fit", "airline", "--target", "passengers", "--epochs", "1", "-q"]
    run = tmp_path / "run"
    assert subprocess.run([*fit, "--units", "4", "--out", str(run)]).returncode == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    bigger = [*fit, "--units", "64", "--out", str(run), "--overwrite"]
    refused = subprocess.run(bigger, capture_output=True, text=True, preexec_fn=_limit_file_size)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.count("Error:") == 1 and "File too large" in refused.stderr
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["run"]  # no temporary directory, no lock


def _without_root_overrides():  # root too must respect file modes: a read-only destination
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; a user without them needs nothing dropped


@pytest.mark.slow
def test_a_read_only_destination_is_one_line_and_leaves_the_old_run_whole(tmp_path):
    rnncast = [sys.executable, "-m", "rnncast"]
    fit = [*rnncast, "fit", "airline", "--target", "passengers", "--epochs", "1", "-q"]
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    run = shelf / "run"
    assert subprocess.run([*fit, "--units", "4", "--out", str(run)]).returncode == 0
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    shelf.chmod(0o555)
    try:
        for out, extra in ((run, ["--overwrite"]), (shelf / "new", [])):
            refused = subprocess.run(
                [*fit, "--out", str(out), *extra],
                capture_output=True,
                text=True,
                preexec_fn=_without_root_overrides,
            )
            assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
            assert refused.stderr.count("Error:") == 1 and "ermission denied" in refused.stderr
            assert sorted(os.listdir(shelf)) == ["run"]  # nothing half-written
        assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    finally:
        shelf.chmod(0o755)


def test_forecast_lengths_have_a_generous_finite_bound(tmp_path, daily_frame):
    code, stderr = _cli("fit", "airline", "--target", "passengers", "--forecast", "1000000")
    assert "--forecast must be <= 100,000, got 1,000,000" in _one_line(code, stderr)
    f = Forecaster(**TINY).fit(daily_frame, target="y")
    with pytest.raises(RnncastError, match=r"`steps` must be <= 100,000"):
        f.forecast(steps=10**6)
    run = f.save(str(tmp_path / "run"))
    code, stderr = _cli("forecast", run, "--steps", "1000000")
    assert "--steps must be <= 100,000" in _one_line(code, stderr)


@pytest.mark.parametrize("cut", ["footer kept", "footer lost"])
def test_a_truncated_parquet_file_read_by_series_is_one_line(tmp_path, cut):
    frame = pd.DataFrame(
        {
            "item": np.repeat(["a", "b"], 3000),
            "date": list(pd.date_range("2020-01-01", periods=3000, freq="D")) * 2,
            "y": np.random.default_rng(0).random(6000),
        }
    )
    whole = tmp_path / "whole.parquet"
    frame.to_parquet(whole, row_group_size=500)
    data = whole.read_bytes()
    cut_bytes = data[: len(data) // 2] + (data[-2000:] if cut == "footer kept" else b"")
    path = tmp_path / "cut.parquet"
    path.write_bytes(cut_bytes)
    out = tmp_path / "run"
    code, stderr = _cli("fit", path, "--id", "item", "--target", "y", *FAST, "--out", out)
    assert str(path) in _one_line(code, stderr) and not out.exists()
    with pytest.raises(RnncastError, match="Parquet file|damaged or truncated"):
        Forecaster(**TINY).fit(str(path), target="y", id="item")
