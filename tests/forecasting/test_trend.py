"""The trend input (``trend``): each target's least-squares slope over a window longer than
the lookback, read beside the lookback's rows; rows before a series' first are NaN, skipped
by the slope and never read as numbers; it travels through padding, free-running forecasts,
``predict``, saved runs and the ONNX export."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import FitConfig, Forecaster, datasets
from rnncast.cli.app import app
from rnncast.errors import ConfigError, DataError
from rnncast.forecasting import panel
from rnncast.forecasting.predictor import phase
from rnncast.nn.networks import Ensemble, Trend, WindowNorm, build_network


def _trend(log: bool = False, lookback: int = 3, span: int = 1) -> Trend:
    torch.manual_seed(0)
    core = build_network("gru(4) > dense", input_size=3, lookback=lookback, n_steps=2)
    return Trend(core, targets=[1], lookback=lookback, log=log, span=span)


def test_the_slope_is_least_squares_over_the_rows_of_the_series():
    t = torch.arange(10.0)
    x = torch.stack([torch.rand(10), 5.0 + 0.5 * t], dim=-1)[None]  # (1, 10, 2)
    assert _trend(span=4).slopes(x).item() == pytest.approx(2.0)  # 0.5 a row, over 4 rows
    grows = torch.stack([torch.rand(10), 3.0 * 1.1**t], dim=-1)[None]
    assert _trend(log=True).slopes(grows).item() == pytest.approx(np.log(1.1), rel=1e-5)
    noisy = torch.rand(1, 10, 2)
    fitted = np.polyfit(np.arange(10), noisy[0, :, 1].numpy(), 1)[0]
    assert _trend().slopes(noisy).item() == pytest.approx(fitted, rel=1e-4)
    blank = noisy.clone()
    blank[:, :4] = float("nan")  # before the series' first row
    fitted = np.polyfit(np.arange(6), noisy[0, 4:, 1].numpy(), 1)[0]
    assert _trend().slopes(blank).item() == pytest.approx(fitted, rel=1e-4)
    blank[:, :9] = float("nan")  # one row: no slope
    assert _trend().slopes(blank).item() == 0.0


def test_the_network_reads_the_last_rows_beside_the_slope_and_never_a_nan():
    seen = []
    trend = _trend(lookback=3)
    trend.net.register_forward_pre_hook(lambda module, args: seen.append(args[0].clone()))
    x = torch.rand(2, 8, 2)
    x[1, :6] = float("nan")  # the second window's series starts two rows before its end
    out = trend(x)
    assert torch.isfinite(out).all()
    read = seen[0]  # (2, 3, 2 + 1)
    torch.testing.assert_close(read[0, :, :2], x[0, -3:])
    torch.testing.assert_close(read[1, 0, :2], x[1, 6])  # the first row, repeated before it
    torch.testing.assert_close(read[1, 1:, :2], x[1, -2:])
    torch.testing.assert_close(read[..., 2], trend.slopes(x).expand(2, 3))


def _growing(n_series: int = 40, n: int = 40, seed: int = 0) -> pd.DataFrame:
    """Yearly series, each growing at its own rate (-3% .. +12% a year) with noise: the
    answer is the rate, which two rows cannot tell from the noise and twenty can."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n_series):
        rate = rng.uniform(-0.03, 0.12)
        y = 100 * np.exp(rate * np.arange(n) + rng.normal(scale=0.04, size=n))
        year = pd.date_range("1980-01-01", periods=n, freq="YS")
        frames.append(pd.DataFrame({"id": f"s{k}", "year": year, "y": y}))
    return pd.concat(frames, ignore_index=True)


def _mase(f: Forecaster, data: pd.DataFrame, horizon: int) -> float:
    out = f.forecast(horizon)
    errors = []
    for name, part in data.groupby("id"):
        y = part["y"].to_numpy()
        got = out.loc[out["id"] == name, "y"].to_numpy()
        errors.append(np.abs(got - y[-horizon:]).mean() / np.abs(np.diff(y[:-horizon])).mean())
    return float(np.mean(errors))


def test_a_trend_over_a_long_window_finds_the_growth_a_short_one_cannot():
    data = _growing()
    train = data.groupby("id").head(34)  # the last 6 years of each held out
    settings = dict(horizon=6, lookback=2, members=1, epochs=30, test_size=0, val_size=0)
    without = Forecaster(**settings, trend=0).fit(train, target="y", id="id")
    with_trend = Forecaster(**settings, trend=24).fit(train, target="y", id="id")
    assert isinstance(with_trend.predictor_.net, Trend)
    assert not isinstance(without.predictor_.net, Trend)
    assert _mase(with_trend, data, 6) < 0.6 * _mase(without, data, 6)  # measured: 0.32-0.35


def test_short_series_are_padded_with_blank_rows_the_slope_skips(panel_frame):
    settings = dict(model="gru", units=8, lookback=6, trend=18, horizon=2, epochs=1, pad=True)
    f = Forecaster(**settings, test_size=0, val_size=0).fit(panel_frame, target="sales", id="item")
    p = f.predictor_
    assert (p.lookback, p.reads, p.blank) == (18, 6, True)
    values, spans, _ = panel.training_origins(p, f.data_, f.splits_, f.usable_, 2)
    short = f.data_.ids.index("item000")  # 10 rows
    runs = dict(zip(spans.groups.tolist(), spans.counts.tolist(), strict=True))
    assert runs[short] == 3  # origins 6 .. 8 of its own rows, as without the trend
    assert runs[f.data_.ids.index("item001")] == 48 - 6 - 1  # from the lookback on, not 18
    assert np.isnan(values).any() and np.isnan(values).all(axis=1).sum() == np.isnan(values).sum()
    data = f.data_.series(short)
    y = data.frame["sales"].to_numpy()
    written = np.r_[np.full(18 - 10, np.nan), y][None, :, None]  # the whole series, blank before
    out = f.forecast(2)
    got = out.loc[out["item"] == "item000", "sales"].to_numpy()
    np.testing.assert_allclose(got, p.predict(written, group=short)[0, :, 0], rtol=1e-5)
    frame = data.frame.reset_index()  # predict() from a frame shorter than the window
    np.testing.assert_allclose(f.predict(frame, series="item000")["sales"], got, rtol=1e-5)


def test_free_running_forecasts_read_their_own_predictions_not_the_future():
    """Past the first horizon a window holds forecasts: changing what happened after the
    origin cannot change the free-running forecast, which equals rolling the network by hand
    over a window that holds the forecasts so far."""
    data = datasets.load("airline")
    f = Forecaster(horizon=4, members=2, epochs=2).fit(data, target="passengers")
    p, part = f.predictor_, f.data_.series(0)
    assert p.lookback == 48 and p.reads == 12
    origin = 100
    before = p.recursive(part, origin, 12)
    later = part.frame.copy()
    later.iloc[origin:] *= 3.0
    changed = dataclasses.replace(part, frame=later)
    np.testing.assert_allclose(p.recursive(changed, origin, 12), before, rtol=1e-6)
    history = part.frame["passengers"].to_numpy()[:origin].astype(float)
    by_hand = []
    for _ in range(3):
        window = history[-48:][None, :, None]
        first = phase(part) + len(history) - 48  # the phase of the window's first row
        block = p.predict(window, phase=first)[0, :, 0]
        by_hand.extend(block)
        history = np.r_[history, block]
    np.testing.assert_allclose(np.ravel(before), by_hand, rtol=1e-4)


def test_settings_the_trend_refuses_in_one_line():
    with pytest.raises(ConfigError, match="give 2 or more, or 0"):
        FitConfig(trend=1)
    with pytest.raises(ConfigError, match="needs the target history"):
        FitConfig(model="gru", trend=12, target_history=False)
    with pytest.raises(ConfigError, match="leave out .trend"):
        FitConfig(model="es > gru(4) > dense", trend=12)
    with pytest.raises(ConfigError, match="`trend` must be >= 0"):
        FitConfig(trend=-3)
    assert FitConfig(model="gru").trend == 0 and FitConfig(model="gru", trend=5).window == 30


def test_the_cli_option_and_a_run_saved_before_the_trend(tmp_path):
    path = tmp_path / "air.csv"
    datasets.load("airline").to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--target", "passengers", "--horizon", "6", "--epochs", "1"]
    result = CliRunner().invoke(app, [*args, "--members", "2", "--trend", "0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["trend"] == 0
    f = Forecaster.load(str(out))
    assert isinstance(f.predictor_.net, Ensemble)
    assert all(isinstance(m, WindowNorm) for m in f.predictor_.net.members)
    want = f.forecast(6)
    del config["settings"]["trend"]  # as a run written before the setting was
    (out / "config.json").write_text(json.dumps(config))
    old = Forecaster.load(str(out))
    assert old.config_.trend == 0
    pd.testing.assert_frame_equal(old.forecast(6), want)


def test_predict_refuses_a_gap_after_the_series_first_row():
    data = datasets.load("airline")
    f = Forecaster(model="gru", units=4, lookback=6, trend=24, horizon=3, epochs=1).fit(
        data, target="passengers"
    )
    window = data[["passengers"]].to_numpy(float)[-24:].copy()
    window[:10] = np.nan  # rows before the series' first: fine
    assert np.isfinite(f.predict(window[None])).all()
    window[15] = np.nan  # a gap inside the series
    with pytest.raises(DataError, match="every value of a window must be a finite number"):
        f.predict(window[None])
    window[:20] = np.nan  # fewer rows than the lookback the model reads
    with pytest.raises(DataError, match="at least 6 rows of numbers"):
        f.predict(window[None])
