"""Tuning with Optuna: a resumable SQLite study, shared by two worker processes."""

import json
import os
import subprocess
import sys

import optuna
import pytest
from typer.testing import CliRunner

from rnncast.cli.app import app

runner = CliRunner()
TUNE = [
    "tune",
    "airline",
    "--target",
    "passengers",
    "--lookback",
    "12",
    "--epochs",
    "3",
    "--test-size",
    "24",
    "--val-size",
    "24",
    "--quiet",
]


@pytest.mark.slow
def test_tune_writes_a_config_that_fit_accepts_and_resumes(tmp_path):
    out = tmp_path / "tune"
    result = runner.invoke(app, [*TUNE, "--trials", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    best = json.loads((out / "best.json").read_text())
    assert best["trials"] == 2 and {"lookback", "units", "dropout", "lr", "batch_size"} <= set(
        best["settings"]
    )
    assert (out / "history.png").stat().st_size > 5_000 and (out / "trials.csv").exists()
    test = best["test"]  # the best trial's test part beside the baselines, as fit reports it
    assert set(test) == {"model", "naive", "seasonal_naive"} and test["naive"]["rmse"] > 0
    assert best["pruned"] == 0
    assert "Its test part, one-step, original units: RMSE" in " ".join(result.output.split())
    again = runner.invoke(app, [*TUNE, "--trials", "1", "--out", str(out)])  # resumes the study
    assert again.exit_code == 0, again.output
    assert json.loads((out / "best.json").read_text())["trials"] == 3
    fit = runner.invoke(
        app,
        [
            "fit",
            "airline",
            "--target",
            "passengers",
            "--config",
            str(out / "best.json"),
            "--epochs",
            "1",
            "--quiet",
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert fit.exit_code == 0, fit.output
    settings = json.loads((tmp_path / "run" / "config.json").read_text())["settings"]
    chosen = json.loads((out / "best.json").read_text())["settings"]
    assert settings["lookback"] == chosen["lookback"] and settings["lr"] == chosen["lr"]
    assert settings["epochs"] == 1  # an option typed on the command line wins


@pytest.mark.slow
def test_the_same_seed_searches_the_same_settings(tmp_path):
    chosen = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = runner.invoke(app, [*TUNE, "--trials", "2", "--seed", "5", "--out", str(out)])
        assert result.exit_code == 0, result.output
        study = optuna.load_study(study_name="rnncast", storage=f"sqlite:///{out}/study.db")
        chosen.append([t.params for t in study.trials])
    assert chosen[0] == chosen[1]
    assert chosen[0][0] != chosen[0][1]


@pytest.mark.slow
def test_two_workers_share_one_sqlite_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rnncast",
                *TUNE,
                "--trials",
                "2",
                "--storage",
                url,
                "--study",
                "shared",
                "--out",
                str(tmp_path / f"w{k}"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in range(2)
    ]
    for w in workers:
        _, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-2000:]
    study = optuna.load_study(study_name="shared", storage=url)
    assert len(study.trials) == 4
    assert {t.state for t in study.trials} <= {
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "bilstm", "--trials", "1"], "tune searches --model lstm, gru, rnn or dense"),
        (["--val-size", "0", "--trials", "1"], "give --val-size above 0"),
        (["--trials", "0"], "--trials must be a whole number >= 1, got 0."),
    ],
)
def test_tune_bad_input(args, message, tmp_path):
    result = runner.invoke(app, [*TUNE, *args, "--out", str(tmp_path / "t")])
    assert result.exit_code == 2 and message in result.stderr


def test_bad_data_is_refused_before_a_study_or_a_folder_exists(tmp_path):
    """Reading the data is checked once before the study: a failed first trial used to stay
    in a new study.db, counted by the next tune in that folder."""
    bad = tmp_path / "bad.csv"
    bad.write_text("date,y\n2020-01-01,1\n2020-01-02,x\n2020-01-03,3\n")
    out = tmp_path / "t"
    result = runner.invoke(app, ["tune", str(bad), "--target", "y", "--out", str(out)])
    assert result.exit_code == 2 and "Column 'y' is not numeric: 'x' at 2020-01-02" in (
        result.stderr
    )
    assert not out.exists()
    unknown = runner.invoke(app, ["tune", "airline", "--target", "pasengers", "--out", str(out)])
    assert unknown.exit_code == 2 and "passengers" in unknown.stderr and not out.exists()


def test_fit_config_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"settings": {"lookbak": 3}}))
    result = runner.invoke(
        app,
        [
            "fit",
            "airline",
            "--target",
            "passengers",
            "--config",
            str(bad),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert (
        result.exit_code == 2
        and "Unknown setting 'lookbak'. Did you mean 'lookback'" in result.stderr
    )
    bad.write_text("{not json")
    result = runner.invoke(
        app,
        [
            "fit",
            "airline",
            "--target",
            "passengers",
            "--config",
            str(bad),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 2 and "Cannot read --config" in result.stderr


@pytest.mark.slow
def test_ctrl_c_ends_tune_in_one_line_with_the_running_trial_failed(tmp_path):
    """Even started as a background job (SIGINT ignored by the shell), Ctrl-C stops the
    search at the running trial's next epoch: that trial is recorded as failed, nothing is
    left RUNNING, and the same command goes on afterwards."""
    import signal
    import subprocess
    import sys
    import time

    import optuna

    out = tmp_path / "tune"
    args = [sys.executable, "-m", "rnncast", "tune", "airline", "--target", "passengers"]
    slow = [*args, "--trials", "50", "--epochs", "5000", "--patience", "0", "-q"]
    proc = subprocess.Popen(
        [*slow, "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    deadline = time.monotonic() + 60
    while not (out / "study.db").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stderr.startswith("Stopped: Tuning stopped by SIGINT")
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) <= 2, stderr
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name="rnncast", storage=f"sqlite:///{out}/study.db")
    states = [t.state.name for t in study.trials]
    assert states[-1] == "FAIL" and "RUNNING" not in states
    again = [*args, "--trials", "1", "--epochs", "2", "--out", str(out)]
    resumed = subprocess.run(again, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    best = json.loads((out / "best.json").read_text())  # the failed trial is not a trial run
    failed = states.count("FAIL")
    assert (best["trials"], best["failed"]) == (len(states) + 1 - failed, failed)
    assert f"{failed} failed, not counted" in " ".join(resumed.stdout.split())


def test_a_line_for_every_trial_pruned_ones_too():
    import optuna

    from rnncast.studies.tuning import trial_line

    done = optuna.trial.create_trial(value=0.25, state=optuna.trial.TrialState.COMPLETE)
    pruned = optuna.trial.create_trial(
        state=optuna.trial.TrialState.PRUNED, intermediate_values={1: 0.9, 2: 0.8, 3: 0.7}
    )
    assert trial_line(done).endswith("best validation loss 0.25")
    assert "pruned after 3 epoch report(s), validation loss 0.7" in trial_line(pruned)
