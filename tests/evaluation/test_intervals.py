import json

import numpy as np
import pandas as pd
import pytest

from rnncast import Forecaster
from rnncast.errors import ConfigError
from rnncast.evaluation.intervals import conformal_quantile, interval_scores, minimum_residuals


def test_quantile_rank_and_missing_residuals():
    r = np.array([[1.0, 1.0], [2.0, np.nan], [3.0, np.nan], [4.0, 2.0]])
    # n = 4: rank ceil(5 * 0.5) = 3 -> 3.0; n = 2: rank ceil(3 * 0.5) = 2 -> 2.0
    assert conformal_quantile(r, 0.5).tolist() == [3.0, 2.0]
    assert np.isnan(conformal_quantile(r, 0.9)).all()  # too few residuals for 90%
    assert minimum_residuals(0.9) == 9 and minimum_residuals(0.5) == 1


def test_interval_scores():
    s = interval_scores(np.array([1.0, 5.0]), np.array([0.0, 0.0]), np.array([2.0, 2.0]))
    assert s == {"coverage": 50.0, "width": 2.0, "points": 2}


@pytest.fixture(scope="module")
def noisy_seasonal() -> pd.DataFrame:
    """A seasonal signal plus Gaussian noise of known scale: the best 90% interval is +-1.645."""
    rng = np.random.default_rng(3)
    t = np.arange(1000)
    y = 10 * np.sin(2 * np.pi * t / 12) + rng.normal(scale=1.0, size=t.size)
    return pd.DataFrame({"date": pd.date_range("2000-01-01", periods=t.size, freq="D"), "y": y})


def test_conformal_coverage_is_near_nominal(noisy_seasonal):
    f = Forecaster(
        model="lstm",
        units=16,
        lookback=24,
        epochs=30,
        lr=5e-3,
        test_size=400,
        val_size=300,
        interval=0.9,
        seed=0,
    ).fit(noisy_seasonal, target="y")
    iv = f.evaluate()["interval"]
    assert abs(iv["one_step"]["coverage"] - 90) < 4, iv
    assert 2 * 1.645 * 0.9 < iv["one_step"]["width"] < 2 * 1.645 * 1.4  # near the noise's own
    assert abs(iv["recursive"]["coverage"] - 90) < 8, iv
    out = f.forecast(6)
    assert out.columns.tolist() == ["date", "y", "lower", "upper"]
    assert (out["lower"] < out["y"]).all() and (out["y"] < out["upper"]).all()
    narrow = f.forecast(6, interval=0.5)
    assert ((narrow["upper"] - narrow["lower"]) < (out["upper"] - out["lower"])).all()


def test_several_targets_get_their_own_bounds(noisy_seasonal):
    frame = noisy_seasonal.assign(z=noisy_seasonal["y"] * 100)
    f = Forecaster(
        model="gru",
        units=8,
        lookback=12,
        epochs=2,
        test_size=50,
        val_size=100,
        interval=0.8,
        seed=0,
    ).fit(frame, target="y,z")
    out = f.forecast(2)
    assert out.columns.tolist() == ["date", "y", "y_lower", "y_upper", "z", "z_lower", "z_upper"]
    width_y = (out["y_upper"] - out["y_lower"]).mean()
    assert (out["z_upper"] - out["z_lower"]).mean() > 20 * width_y  # each in its own units


def test_interval_needs_a_validation_part(noisy_seasonal):
    with pytest.raises(ConfigError, match="it needs at least 9. Give a larger `val_size`"):
        Forecaster(lookback=12, epochs=1, val_size=5, interval=0.9).fit(noisy_seasonal, target="y")
    with pytest.raises(ConfigError, match=r"`interval` must be a level in \(0, 1\)"):
        Forecaster(interval=1.5).fit(noisy_seasonal, target="y")


def test_steps_without_an_interval_are_said_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    args = ["fit", "electricity", "--target", "total", "--model", "gru", "--units", "4"]
    args += ["--epochs", "1", "--horizon", "3", "--interval", "0.8", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--forecast", "40", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "of the forecast have no interval" in text and "--val-size" in text
    short = CliRunner().invoke(app, ["forecast", str(tmp_path / "r"), "--steps", "3"])
    assert short.exit_code == 0 and "no interval" not in short.output


def test_scored_bounds_stop_at_a_floor_set_by_the_training_rows_alone():
    from rnncast.data.split import Split
    from rnncast.evaluation.scoring import score

    # 6 training rows never below 0, 4 test rows; forecasts 1.0 with half-width 3
    y = np.array([2.0, 1.0, 0.0, 3.0, 2.0, 1.0, 0.5, -1.0, 4.5, 1.0])[:, None]
    split, origins = Split(6, 0, 4), np.arange(6, 10)
    one_step, recursive = np.ones((4, 1, 1)), np.ones((4, 1))
    interval = {"level": 0.9, "one_step": np.full((1, 1), 3.0), "recursive": np.full((4, 1), 3.0)}
    iv = score(y, split, 1, (1,), ["y"], origins, one_step, recursive, interval)["interval"]
    # bounds [0, 4]: the -1.0 of the test part sets no floor and is a miss, as 4.5 is
    assert iv["one_step"] == {"coverage": 50.0, "width": 4.0, "points": 4}
    assert iv["recursive"] == iv["one_step"]
    y[2] = -0.1  # one training row below 0: no floor, bounds [-2, 4]
    iv = score(y, split, 1, (1,), ["y"], origins, one_step, recursive, interval)["interval"]
    assert iv["one_step"] == {"coverage": 75.0, "width": 6.0, "points": 4}


def test_forecast_bounds_of_counts_never_reach_below_zero():
    """Sparse counts: the conformal half-width exceeds the forecast, so ``forecast - q``
    is below 0 at some step; the bound stops at 0 there, and goes below 0 once a training
    row did."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    counts = rng.poisson(1.0 + 0.8 * np.sin(2 * np.pi * t / 7)).astype(float)
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=t.size), "y": counts})
    settings = dict(model="gru", units=4, lookback=14, epochs=2, test_size=50, val_size=100)
    f = Forecaster(**settings, interval=0.9, seed=0).fit(frame, target="y")
    out = f.forecast(7)
    assert (out["lower"] >= 0).all() and (out["lower"] == 0).any(), out
    assert (out["upper"] > out["y"]).all()
    shifted = frame.assign(y=frame["y"] - 0.5)  # -0.5 in the training rows: no floor
    g = Forecaster(**settings, interval=0.9, seed=0).fit(shifted, target="y")
    low = g.forecast(7)["lower"]
    assert (low < -0.5).any(), low


def test_cli_panel_bounds_of_counts_stop_at_zero(tmp_path):
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    rng = np.random.default_rng(1)
    t = np.arange(300)
    wide = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=t.size)})
    wide["shop_a"] = rng.poisson(1.0 + 0.8 * np.sin(2 * np.pi * t / 7))
    wide["shop_b"] = rng.poisson(40.0 + 10 * np.sin(2 * np.pi * t / 7))
    wide.to_csv(tmp_path / "sales.csv", index=False)
    args = ["fit", str(tmp_path / "sales.csv"), "--wide", "--id", "shop", "--target", "sold"]
    args += ["--model", "gru", "--units", "4", "--epochs", "2", "--lookback", "14"]
    args += ["--test-size", "40", "--val-size", "80", "--interval", "0.9", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--forecast", "7", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "r" / "forecast.csv")
    a, b = out[out["shop"] == "shop_a"], out[out["shop"] == "shop_b"]
    assert (a["lower"] >= 0).all() and (a["lower"] == 0).any(), a
    assert (b["lower"] > 0).all() and (b["lower"] < b["sold"]).all()  # a floor, not a cap
    method = json.loads((tmp_path / "r" / "metrics.json").read_text())["interval"]["method"]
    assert "lower bounds stop at 0" in method  # the printed method says so too
