"""Logs that survive zeros (``log_offset``): each value plus a fraction of its window's level,
so that data with zeros (tourism, sales) are read as log ratios like positive data; inverted
exactly, free of the series' scale; with the default model, given an offset, logs are taken
wherever no training value is below 0."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from rnncast import Forecaster, datasets
from rnncast.cli.app import app
from rnncast.errors import ConfigError
from rnncast.nn.networks import Trend, WindowNorm, build_network


class Constant(nn.Module):
    """A network whose every output is ``value``: what WindowNorm gives back is its inverse."""

    def __init__(self, value: float, steps: int = 2) -> None:
        super().__init__()
        self.value, self.steps, self.seen = value, steps, None

    def forward(self, x, series=None):
        self.seen = x
        return torch.full((x.shape[0], self.steps, 1), self.value)


def test_zeros_read_as_finite_log_ratios_and_the_inverse_is_exact():
    x = torch.tensor([[[4.0], [0.0], [2.0], [6.0]]])  # mean 3
    inner = Constant(0.0)
    norm = WindowNorm(inner, targets=[0], level="mean", log=True, offset=0.5)
    out = norm(x)
    torch.testing.assert_close(out, torch.full((1, 2, 1), 3.0))  # output 0: the level itself
    expected = torch.log((x[0, :, 0] + 1.5) / 4.5)  # each value plus half the level
    torch.testing.assert_close(inner.seen[0, :, 0], expected)
    inner.value = float(np.log(2.0))  # twice (value + offset): (1 + a) * level * 2 - a * level
    torch.testing.assert_close(norm(x), torch.full((1, 2, 1), 4.5 * 2 - 1.5))
    plain = WindowNorm(Constant(0.0), targets=[0], level="mean", log=True)
    assert plain.net.value == 0 and torch.isfinite(norm(x)).all()
    plain(x)
    assert plain.net.seen[0, 1, 0] < -80  # without the offset a zero is log(tiny)


def test_the_offset_keeps_a_window_free_of_its_series_scale():
    torch.manual_seed(0)
    core = build_network("lstm(8) > dense", input_size=1, lookback=6, n_steps=3, n_targets=1)
    norm = WindowNorm(core, targets=[0], level="last", log=True, offset=0.1)
    x = torch.rand(4, 6, 1) + 0.5
    x[:, 1] = 0.0
    torch.testing.assert_close(norm(x * 40.0), norm(x) * 40.0, rtol=1e-4, atol=0)


def test_the_trend_is_the_slope_of_the_offset_logs_over_the_series_rows():
    y = np.array([np.nan, np.nan, 0.0, 2.0, 3.0, 0.0, 5.0, 7.0])
    trend = Trend(nn.Identity(), targets=[0], lookback=3, log=True, offset=0.2)
    slope = trend.slopes(torch.tensor(y, dtype=torch.float64)[None, :, None]).item()
    rows = np.flatnonzero(~np.isnan(y))
    z = np.log(y[rows] + 0.2 * np.nanmean(y))
    assert slope == pytest.approx(np.polyfit(rows, z, 1)[0])
    scaled = trend.slopes(torch.tensor(30.0 * y)[None, :, None]).item()
    assert scaled == pytest.approx(slope)  # the scale of the series drops out


def _with_zeros() -> pd.DataFrame:
    """Airline passengers with a month of nothing in three years (a strike, a closure)."""
    data = datasets.load("airline")
    data.loc[[30, 61, 90], "passengers"] = 0.0
    return data


FAST = dict(horizon=6, epochs=2, members=2, seed=0)


def test_the_default_model_with_an_offset_reads_zeros_in_logs_saves_and_exports(tmp_path):
    data = _with_zeros()
    assert Forecaster(**FAST).fit(data, target="passengers").config_.log is False
    f = Forecaster(**FAST, log_offset=0.1).fit(data, target="passengers")
    cfg = f.config_
    assert (cfg.log, cfg.log_offset, cfg.scaler) == (True, 0.1, "mase")
    forecast = f.forecast(12)["passengers"]
    assert np.isfinite(forecast).all() and (forecast > 0).all()
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(12), f.forecast(12))
    assert "plus 0.1 x the level" in g.predictor_.net.members[0].spec
    ort = pytest.importorskip("onnxruntime")
    path = f.export_onnx(str(tmp_path / "m.onnx"), steps=12)
    session = ort.InferenceSession(path)
    meta = json.loads(session.get_modelmeta().custom_metadata_map["rnncast"])
    rows = data.iloc[-meta["lookback"] :]
    feeds = {"window": rows[meta["inputs"]].to_numpy(np.float32)[None]}
    if "phase" in meta["graph_inputs"]:
        from rnncast.data.seasonal import first_phase

        index = pd.DatetimeIndex(rows["month"])
        feeds["phase"] = np.array([first_phase(index, meta["frequency"])], dtype=np.int64)
    got = session.run(None, feeds)[0][0, :, 0]
    np.testing.assert_allclose(got, forecast.to_numpy(), rtol=1e-4)


def test_plain_logs_refuse_zeros_and_name_the_offset():
    with pytest.raises(ConfigError, match="or give log_offset=0.1 where the lowest is 0"):
        Forecaster(**FAST, log=True, log_offset=0.0).fit(_with_zeros(), target="passengers")
    below = _with_zeros()
    below.loc[40, "passengers"] = -5.0
    shifted = Forecaster(**FAST, log=True, log_offset=0.1, scaler="mase")
    with pytest.raises(ConfigError, match="values of 0 or above, but a training value is -"):
        shifted.fit(below, target="passengers")


def test_the_cli_option_is_recorded_and_checked(tmp_path):
    path = tmp_path / "zeros.csv"
    _with_zeros().to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--target", "passengers", "--horizon", "6", "--epochs", "1"]
    args += ["--members", "1", "--quiet"]
    result = CliRunner().invoke(app, [*args, "--log-offset", "0.3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert (settings["log"], settings["log_offset"]) == (True, 0.3)
    bad = CliRunner().invoke(app, [*args, "--model", "gru", "--log-offset", "0.3"])
    assert bad.exit_code != 0
    assert "--log-offset shifts the values whose logs --log takes" in bad.output
    assert "Traceback" not in bad.output and not (tmp_path / "runs").exists()
