"""The default model (``auto``): the recipe chosen on competition data, every part of it a
default that a given option overrides, the rest settled by the data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import FitConfig, Forecaster
from rnncast.cli.app import app
from rnncast.config import PLAIN, RECIPE
from rnncast.errors import ConfigError
from rnncast.nn.networks import Ensemble, Trend, WindowNorm


def test_left_out_settings_take_the_recipe_or_the_plain_values():
    auto = FitConfig()
    assert auto.model == "auto" and auto.units == RECIPE["units"]
    for name, value in RECIPE.items():
        assert getattr(auto, name) == value, name
    settled = (auto.lookback, auto.log, auto.scaler, auto.deseason, auto.trend)
    assert settled == (None, None, None, None, None)  # the data settle them
    assert auto.resolve(12).deseason is True and auto.resolve(1).deseason is False
    assert auto.resolve(12).trend == 48 and FitConfig(horizon=6).resolve(1).trend == 24
    assert FitConfig(lookback=5).resolve(1).trend == 20  # four lookbacks, given or settled
    assert FitConfig(target_history=False).resolve(1).trend == 0  # no own past, no trend
    plain = FitConfig(model="gru")
    for name, value in PLAIN.items():
        assert getattr(plain, name) == value, name
    given = FitConfig(loss="mse", members=1, pad=False, units=32, window_norm="none")
    assert (given.loss, given.members, given.pad, given.units) == ("mse", 1, False, (32,))
    assert given.resolve(12, lowest=5.0).log is False  # no window level, no logs
    assert FitConfig(target_history=False).window_norm == "none"


@pytest.mark.parametrize(
    ("horizon", "season", "lowest", "expected"),
    [
        (8, 4, 3.0, (8, True, 0.0, "mase")),
        (1, 7, 0.5, (7, True, 0.0, "mase")),  # at least a season
        (4, 4, 0.0, (4, False, 0.0, "minmax")),  # no logs of a zero
        (1, 1, -2.0, (2, False, 0.0, "minmax")),  # at least two rows
    ],
)
def test_the_data_settle_lookback_logs_and_scaler(horizon, season, lowest, expected):
    cfg = FitConfig(horizon=horizon).resolve(season)
    assert cfg.lookback == expected[0] and cfg.log is None and cfg.log_offset is None
    cfg = cfg.resolve(season, lowest)
    assert (cfg.lookback, cfg.log, cfg.log_offset, cfg.scaler) == expected
    assert FitConfig(horizon=horizon, lookback=40, scaler="standard").resolve(
        season, 1.0
    ).scaler == ("standard")
    given = FitConfig(horizon=horizon, log_offset=0.5).resolve(season, max(lowest, 0.0))
    assert (given.log, given.log_offset) == (True, 0.5)  # an offset: logs of zeros too


def test_log_offset_settings_are_checked():
    with pytest.raises(ConfigError, match="`log_offset` must be in \\[0.0, 1000.0\\]"):
        FitConfig(log_offset=-0.1)
    with pytest.raises(ConfigError, match="shifts the values whose logs `log` takes; give"):
        FitConfig(model="lstm", window_norm="mean", log_offset=0.1)  # the plain model: no logs
    with pytest.raises(ConfigError, match="logs are off here \\(a training value is -3\\)"):
        FitConfig(log_offset=0.1).resolve(1, lowest=-3.0)
    assert FitConfig(log=False).resolve(1, lowest=0.0).log_offset == 0.0


def _monthly(n: int, zero: bool = False, low: float | None = None) -> pd.DataFrame:
    t = np.arange(n)
    y = 100 + t + 20 * np.sin(2 * np.pi * t / 12)
    if zero:
        y[3] = 0.0
    if low is not None:
        y[3] = low
    return pd.DataFrame({"month": pd.date_range("2015-01-01", periods=n, freq="MS"), "y": y})


def test_a_default_fit_is_the_recipe_as_the_data_settle_it():
    f = Forecaster(horizon=6, epochs=2).fit(_monthly(80), target="y")
    cfg = f.config_
    assert (cfg.lookback, cfg.log, cfg.scaler, cfg.members) == (12, True, "mase", 5)
    assert cfg.deseason and f.predictor_.scaler.seasonal  # a monthly season: removed
    net = f.predictor_.net
    assert isinstance(net, Ensemble) and all(isinstance(m, Trend) for m in net.members)
    assert all(isinstance(m.net, WindowNorm) and m.lookback == 12 for m in net.members)
    assert (cfg.trend, cfg.window, f.predictor_.lookback, f.predictor_.reads) == (48, 48, 48, 12)
    assert f.forecast(6)["y"].notna().all()
    zero = Forecaster(horizon=6, epochs=1, members=1).fit(_monthly(80, zero=True), target="y")
    assert (zero.config_.log, zero.config_.log_offset, zero.config_.scaler) == (False, 0, "minmax")
    shifted = Forecaster(horizon=6, epochs=1, members=1, log_offset=0.1)
    shifted.fit(_monthly(80, zero=True), target="y")
    assert (shifted.config_.log, shifted.config_.scaler) == (True, "mase")
    assert shifted.predictor_.net.offset == 0.1 and shifted.predictor_.net.net.offset == 0.1
    below = Forecaster(horizon=6, epochs=1, members=1).fit(_monthly(80, low=-1.0), target="y")
    assert (below.config_.log, below.config_.scaler) == (False, "minmax")  # no logs below 0


def test_the_cli_default_and_the_settings_it_records(tmp_path):
    path = tmp_path / "m.csv"
    _monthly(80).to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--target", "y", "--horizon", "6", "--epochs", "1", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--members", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["model"] == "auto" and settings["members"] == 2  # given: it wins
    assert (settings["lookback"], settings["log"], settings["scaler"]) == (12, True, "mase")
    assert "median of 2 LSTM(16)" in " ".join(result.output.split())
    g = Forecaster.load(str(out))  # a run records what the data settled, and loads as it was
    assert g.config_ == FitConfig.from_dict(settings)
