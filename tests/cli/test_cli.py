"""The command line: every command on real data, and every bad input as one clean line."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import datasets
from rnncast.cli.app import app
from rnncast.data.io import EXACT_FLOATS
from rnncast.errors import DataError

runner = CliRunner()
FAST = ["--model", "lstm", "--units", "8", "--epochs", "2", "--lookback", "8", "--quiet"]


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    result = invoke(
        "fit", datasets.path("bitcoin"), "--target", "close", *FAST, "--out", out, "--forecast", "5"
    )
    assert result.exit_code == 0, result.output
    return out


def test_fit_prints_metrics_beside_baselines_and_saves(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["one_step"]["naive"]["rmse"] > 0
    config = json.loads((run_dir / "config.json").read_text())
    assert config["settings"]["lookback"] == 8 and len(config["data"]["sha256"]) == 64
    assert config["data"]["missing_filled"] == 4
    assert len(pd.read_csv(run_dir / "forecast.csv")) == 5


def test_fit_output_names_both_modes_and_a_verdict(tmp_path):
    result = invoke(
        "fit",
        "electricity",
        "--target",
        "total",
        *FAST,
        "--test-size",
        "24",
        "--val-size",
        "12",
        "--out",
        tmp_path / "r",
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "one-step" in text and "recursive" in text and "seasonal naive" in text
    assert "One-step: the LSTM(8)" in text and "Recursive: the LSTM(8)" in text
    assert "Filled" not in text and "frequency MS" in text


def test_forecast_command_matches_the_api(run_dir, tmp_path):
    from rnncast import Forecaster

    out = tmp_path / "f.csv"
    result = invoke("forecast", run_dir, "--steps", "7", "--out", out)
    assert result.exit_code == 0, result.output
    cli = pd.read_csv(out, **EXACT_FLOATS)  # the file's text back to the same doubles
    api = Forecaster.load(str(run_dir)).forecast(7)
    assert cli.columns.tolist() == ["date", "close"]
    assert cli["date"].tolist() == api["date"].dt.strftime("%Y-%m-%d").tolist()
    assert cli["date"].iloc[0] == "2021-10-28"
    pd.testing.assert_series_equal(cli["close"], api["close"], check_exact=True)


def test_evaluate_and_summary(run_dir, tmp_path):
    result = invoke("evaluate", run_dir)
    assert result.exit_code == 0 and "naive" in result.output
    raw = datasets.load("bitcoin").iloc[:400]
    raw.to_csv(tmp_path / "older.csv", index=False)
    result = invoke("evaluate", run_dir, "--data", tmp_path / "older.csv")
    assert result.exit_code == 2 and "0 rows from 2021-04-11 on" in result.output  # trained on
    result = invoke("evaluate", run_dir, "--data", tmp_path / "older.csv", "--since", "2021-01-01")
    assert result.exit_code == 0, result.output
    assert "Scored 34 rows of the new data, 2021-01-01 to 2021-02-03" in result.output
    datasets.load("bitcoin").to_csv(tmp_path / "all.csv", index=False)
    result = invoke("evaluate", run_dir, "--data", tmp_path / "all.csv")
    assert "Scored 200 rows of the new data, 2021-04-11 to 2021-10-27" in result.output
    weekly = datasets.load("bitcoin").iloc[::7]
    weekly.to_csv(tmp_path / "weekly.csv", index=False)
    result = invoke("evaluate", run_dir, "--data", tmp_path / "weekly.csv")
    assert result.exit_code == 2 and "frequency is 'W-WED', the model's 'D'" in result.output
    result = invoke("summary", run_dir)
    assert (
        result.exit_code == 0 and "LSTM" in result.output and "Total params: 361" in result.output
    )


def test_datasets_lists_source_and_licence():
    result = invoke("datasets")
    assert result.exit_code == 0
    for name in datasets.names():
        assert name in result.output
    assert "CC0" in result.output


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
    result = invoke("demo", "--out", tmp_path, "--epochs", "2")
    assert result.exit_code == 0, result.output
    for name in ("bitcoin", "electricity", "chicago"):
        for plot in ("fit.png", "forecast.png", "loss.png"):
            assert (tmp_path / name / plot).stat().st_size > 10_000
    assert "Reports and plots:" in result.output
    assert "The 14 withheld days (2016-08-15 to 2016-08-28)" in result.output
    forecast = pd.read_csv(tmp_path / "chicago" / "forecast.csv")
    assert forecast["date"].iloc[0] == "2016-08-15" and len(forecast) == 14
    assert (tmp_path / "electricity" / "report.html").exists()


@pytest.fixture
def bad_csvs(tmp_path) -> dict[str, Path]:
    frame = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=60, freq="D"), "y": range(60)}
    )
    files = {}
    files["text_target"] = frame.assign(y=frame["y"].astype(str).where(frame.index != 9, "12 kg"))
    files["dup_dates"] = frame.assign(date=frame["date"].where(frame.index != 5, frame["date"][4]))
    files["good"] = frame
    files["two_numbers"] = frame.assign(z=frame["y"] * 2)
    for name, f in files.items():
        f.to_csv(tmp_path / f"{name}.csv", index=False)
    return {name: tmp_path / f"{name}.csv" for name in files}


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.csv", "--target", "y"], "No such file: 'missing.csv'. Check the path."),
        (["airlnie"], "No file or bundled dataset is named 'airlnie'. Did you mean 'airline'?"),
        (["{two_numbers}"], "Which column to forecast? Name it with --target; the table has 2"),
        (["{good}", "--target", "Y"], "Unknown target column 'Y'. Did you mean 'y'?"),
        (["{text_target}", "--target", "y"], "Column 'y' is not numeric: '12 kg' at 2024-01-10"),
        (["{dup_dates}", "--target", "y"], "Date 2024-01-05 00:00:00 appears more than once"),
        (
            ["{good}", "--target", "y", "--lookback", "50", "--no-pad"],
            "The training part has 42 rows",
        ),
        (["{good}", "--target", "y", "--lookback", "0"], "--lookback must be >= 1, got 0."),
        (["{good}", "--target", "y", "--horizon", "0"], "--horizon must be >= 1, got 0."),
        (["{good}", "--target", "y", "--test-size", "60"], "takes all 60 remaining rows"),
        (["{good}", "--target", "y", "--test-size", "0.9"], "leave no training rows"),
        (["{good}", "--target", "y", "--model", "lstn"], "Did you mean 'lstm'?"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(bad_csvs, tmp_path, args, message):
    args = [a.format(**{k: str(v) for k, v in bad_csvs.items()}) for a in args]
    out = tmp_path / "never"
    result = invoke("fit", *args, "--epochs", "1", "--quiet", "--out", out)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists() and not list(tmp_path.glob(".never*"))


def test_existing_run_is_refused_before_training(run_dir):
    before = sorted(p.name for p in run_dir.iterdir())
    result = invoke("fit", "bitcoin", "--target", "close", *FAST, "--out", run_dir)
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert "epoch" not in result.output
    assert sorted(p.name for p in run_dir.iterdir()) == before


def test_debug_shows_the_traceback():
    quiet = invoke("fit", "missing.csv", "--target", "y")
    assert quiet.exit_code == 2 and isinstance(quiet.exception, SystemExit)
    assert "Traceback" not in quiet.output + quiet.stderr
    loud = invoke("--debug", "fit", "missing.csv", "--target", "y")
    assert loud.exit_code != 0 and isinstance(loud.exception, DataError)  # raised, not exited
    assert "No such file" in str(loud.exception)


def test_runs_that_do_not_exist():
    result = invoke("forecast", "no/such/run")
    assert result.exit_code == 2 and "No run directory" in result.stderr


def test_module_entry_point_and_help_without_torch():
    code = "import sys; from rnncast.cli.app import main; print('torch' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
        == "False"
    )
    done = subprocess.run(
        [sys.executable, "-m", "rnncast", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0 and "forecast" in done.stdout
    code = "import sys; from rnncast.cli.app import main\ntry: main(['--version'])\n"
    code += "finally: print('torch' in sys.modules)"  # the version without importing PyTorch
    version = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    from importlib import metadata

    from rnncast import __version__

    torch = metadata.version("torch")  # the installed wheel's (a GPU image's omits +cu130)
    assert version.returncode == 0 and version.stdout.split("\n")[:2] == [
        f"rnncast {__version__} (PyTorch {torch}, Python {sys.version.split()[0]})",
        "False",
    ]
    bad = subprocess.run(
        [sys.executable, "-m", "rnncast", "fit", "nope.csv", "--target", "y"],
        capture_output=True,
        text=True,
    )
    assert (
        bad.returncode == 2
        and bad.stderr.strip() == "Error: No such file: 'nope.csv'. Check the path."
    )


def test_fit_a_spec_on_parallel_targets_with_a_step_set(tmp_path):
    out = tmp_path / "spec"
    result = invoke(
        "fit",
        "electricity",
        "--target",
        "total,industrial",
        "--model",
        "gru(8) > dropout(0.1) > dense",
        "--horizon",
        "1,3",
        "--lookback",
        "12",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["model"] == "gru(8) > dropout(0.1) > dense"
    assert config["settings"]["horizon"] == [1, 3]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [s["step"] for s in metrics["test"]["one_step"]["by_step"]] == [1, 3]
    assert set(metrics["test"]["one_step"]["by_target"]) == {"total", "industrial"}
    assert metrics["test"]["recursive"] is None and "recursive_note" in metrics
    result = invoke("forecast", out, "--out", tmp_path / "f.csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(tmp_path / "f.csv")
    assert frame.columns.tolist() == ["date", "total", "industrial"]
    assert frame["date"].tolist() == ["2022-04-01", "2022-06-01"]  # steps 1 and 3 after March
    result = invoke("forecast", out, "--steps", "5")
    assert result.exit_code == 2 and "leave out --steps" in result.stderr


def test_fit_recursive_strategy_and_summary_of_the_run(tmp_path):
    out = tmp_path / "rec"
    result = invoke(
        "fit",
        "airline",
        "--target",
        "passengers",
        "--model",
        "stacked-gru",
        "--horizon",
        "6",
        "--strategy",
        "recursive",
        "--lookback",
        "12",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "strategy recursive" in " ".join(result.output.split())
    summary = invoke("summary", out)
    assert summary.exit_code == 0 and "GRU" in summary.output and "(B, 1)" in summary.output


def test_summary_of_a_spec_without_training():
    result = invoke("summary", "--model", "cnn-lstm", "--lookback", "4", "--inputs", "1")
    assert result.exit_code == 0, result.output
    assert "CNN over sub-sequences" in result.output and "Total params: 23,379" in result.output
    result = invoke("summary", "--model", "seq2seq(10, cell=gru)", "--horizon", "5")
    assert "(B, 5, 10)" in result.output and "Encoder-decoder GRU" in result.output
    result = invoke("summary", "--model", "auto", "--lookback", "12")  # the default: 5 members
    text = " ".join(result.output.split())
    assert "median of 5 x lstm(16)" in text and "members.4.net.blocks.0" in text, text
    assert "Total params: 6,165" in text and "rnncast summary RUN" in text


@pytest.mark.parametrize(
    "spec, message",
    [
        (
            "lstm(64) > dropuot(0.2)",
            "Unknown layer 'dropuot' in the model spec. Did you mean 'dropout'?",
        ),
        ("lstm(64, size=3)", "Unknown argument 'size' for lstm(). Valid: units, activation"),
        ("lstm(64) > dense(5)", "The last layer dense(5) cannot produce the output: it needs 1"),
        ("lstm(64) > cnn(sub=2)", "cnn() reads the raw window: it must be the first layer."),
        ("bilstm(8, merge=max)", "bilstm(merge=...) must be one of concat, sum; got 'max'."),
        ("lstm(64) >", "has an empty layer"),
    ],
)
def test_spec_errors_name_the_problem(spec, message, tmp_path):
    result = invoke(
        "fit",
        "airline",
        "--target",
        "passengers",
        "--model",
        spec,
        "--epochs",
        "1",
        "--lookback",
        "12",
        "--quiet",
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_interval_from_fit_and_forecast(tmp_path):
    out = tmp_path / "iv"
    result = invoke(
        "fit",
        "electricity",
        "--target",
        "total",
        *FAST,
        "--test-size",
        "24",
        "--val-size",
        "40",
        "--interval",
        "0.8",
        "--forecast",
        "6",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "80% interval (split conformal" in " ".join(result.output.split())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["interval"]["level"] == 0.8 and metrics["interval"]["one_step"]["points"] > 0
    assert pd.read_csv(out / "forecast.csv").columns.tolist() == ["date", "total", "lower", "upper"]
    result = invoke("forecast", out, "--steps", "3", "--interval", "0.5")
    assert result.exit_code == 0 and "lower" in result.output
    result = invoke("forecast", out, "--interval", "1.2")
    assert result.exit_code == 2 and "--interval must be a level in (0, 1)" in result.stderr


@pytest.mark.slow
def test_compare_writes_a_leaderboard(tmp_path):
    out = tmp_path / "cmp"
    result = invoke(
        "compare",
        "airline",
        "--target",
        "passengers",
        "--models",
        "dense,gru",
        "--models",
        "lstm(8, relu) > dense",
        "--repeats",
        "2",
        "--lookback",
        "12",
        "--units",
        "8",
        "--epochs",
        "3",
        "--test-size",
        "24",
        "--val-size",
        "12",
        "--quiet",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    board = pd.read_csv(out / "leaderboard.csv", index_col="name")
    assert {
        "dense",
        "gru",
        "lstm(8, relu) > dense",
        "ensemble",
        "naive",
        "seasonal naive",
        "drift",
        "exponential smoothing",
    } == set(board.index)
    assert "| rank | model |" in result.output and "Ranked by mean one-step RMSE" in result.output
    assert (out / "leaderboard.png").stat().st_size > 10_000
    assert (out / "leaderboard.md").read_text().startswith("| rank |")


@pytest.mark.slow
def test_backtest_writes_folds(tmp_path):
    out = tmp_path / "bt"
    result = invoke(
        "backtest",
        "airline",
        "--target",
        "passengers",
        "--model",
        "gru",
        "--folds",
        "3",
        "--lookback",
        "12",
        "--units",
        "8",
        "--epochs",
        "2",
        "--test-size",
        "12",
        "--val-size",
        "12",
        "--quiet",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    folds = pd.read_csv(out / "backtest.csv")
    assert sorted(folds["test_from"].unique()) == ["1958-01-01", "1959-01-01", "1960-01-01"]
    assert set(folds["name"]) >= {"gru", "naive", "exponential smoothing"}
    assert (out / "backtest.png").stat().st_size > 10_000


def test_backtest_many_series_of_a_wide_table(tmp_path):
    # electricity's three sectors (total, commercial, industrial) as three series
    out = tmp_path / "bt"
    args = ["--folds", "2", "--test-size", "12", "--lookback", "12", "--epochs", "2", "--no-ets"]
    result = invoke(
        "backtest", "electricity", "--wide", "--id", "sector", "--model", "gru", "--units", "8",
        *args, "--quiet", "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Ranked by mean one-step MASE" in result.output
    assert "means over the 3 series ('sector')" in " ".join(result.output.split())
    per = pd.read_csv(out / "series.csv")
    assert set(per["series"]) == {"total", "commercial", "industrial"}
    assert set(per["name"]) == {"gru", "naive", "seasonal naive", "drift"}  # no ETS asked
    assert sorted(per["test_from"].unique()) == ["2020-04-01", "2021-04-01"]  # data end 2022-03
    samples = pd.read_csv(out / "samples.csv")
    assert set(samples["series"]) == {3}
    assert (out / "backtest.png").stat().st_size > 10_000


def test_fit_a_bundled_dataset_read_wide(tmp_path):
    out = tmp_path / "wide"
    result = invoke("fit", "electricity", "--wide", "--id", "sector", *FAST, "--out", out)
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["target"] == ["value"]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["backtest", "electricity", "--wide", "--id", "sector", "--no-refit"],
            "--no-refit takes one series; with --id every fold is trained afresh.",
        ),
        (["compare", "airline", "--models", "gru", "--wide"], "--wide needs --id"),
        (
            ["compare", "airline", "--target", "passengers", "--models", "lstm,grux"],
            "Unknown model 'grux'. Did you mean 'gru'?",
        ),
        (
            ["compare", "airline", "--target", "passengers", "--models", "lstm", "--repeats", "0"],
            "--repeats must be a whole number >= 1, got 0.",
        ),
        (
            ["backtest", "airline", "--target", "passengers", "--folds", "50"],
            "50 folds of 29 test rows",
        ),
    ],
)
def test_compare_and_backtest_bad_input(args, message, tmp_path):
    result = invoke(*args, "--epochs", "1", "--quiet", "--out", tmp_path / "never")
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "never").exists()


def test_a_bundled_dataset_by_name_forecasts_its_catalogued_target(tmp_path):
    # electricity has three numeric columns; the catalogue names total as the target
    out = tmp_path / "e"
    result = invoke("fit", "electricity", *FAST, "--test-size", "12", "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["data"]["target"] == ["total"]
    result = invoke("explore", "bitcoin", "--out", tmp_path / "x")  # not the first column, open
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "x" / "summary.json").read_text())["target"] == "close"


def test_the_one_numeric_column_is_the_target_and_a_note_says_so(bad_csvs, tmp_path):
    result = invoke("fit", bad_csvs["good"], *FAST, "--out", tmp_path / "g")
    assert result.exit_code == 0, result.output
    assert "Forecasting 'y', the only numeric column" in " ".join(result.output.split())


def test_explore_writes_a_report(tmp_path):
    out = tmp_path / "ex"
    result = invoke("explore", "airline", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Strong seasonality with period 12" in " ".join(result.output.split())
    assert {"report.html", "columns.png", "acf.png", "summary.json"} <= {
        p.name for p in out.iterdir()
    }


@pytest.mark.slow
def test_fit_many_series_from_the_command_line(tmp_path, panel_frame):
    data = tmp_path / "panel.parquet"
    panel_frame.to_parquet(data)
    out = tmp_path / "panel"
    result = invoke(
        "fit",
        data,
        "--id",
        "item",
        "--target",
        "sales",
        "--model",
        "gru",
        "--units",
        "8",
        "--lookback",
        "12",
        "--epochs",
        "2",
        "--test-size",
        "12",
        "--val-size",
        "6",
        "--fallback",
        "seasonal-naive",
        "--forecast",
        "2",
        "--quiet",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Series: 294 of 300 used" in text and "Skipped 6 series" in text
    assert "beats seasonal naive on" in text
    forecast = pd.read_csv(out / "forecast.csv")
    assert forecast["item"].nunique() == 300 and "forecast_by" in forecast
    result = invoke("forecast", out, "--steps", "1")
    assert result.exit_code == 0 and "item299" in result.output


def test_every_training_command_takes_the_same_settings_with_fitconfigs_defaults():
    """fit, compare, backtest and tune take each FitConfig setting as an option declared once
    (cli/options.py), defaulting to FitConfig's value; fit also takes the rest."""
    import typer.main

    from rnncast.config import DEFAULTS, setting_names

    commands = typer.main.get_command(app).commands
    fit_options = {p.name for p in commands["fit"].params}
    assert set(setting_names()) <= fit_options
    shared = set(setting_names()) - {"model", "interval", "fallback", "embed"}
    for name in ("fit", "compare", "backtest", "tune"):
        given = {p.name: p.default for p in commands[name].params}
        assert shared <= set(given), name
        for setting in shared:
            default = getattr(DEFAULTS, setting)
            assert given[setting] in (default, str(default)), (name, setting)
