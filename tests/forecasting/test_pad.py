"""Padded windows (``pad``): a window may start before its series' first row, which it then
repeats, so series shorter than the lookback are trained on and forecast by the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.errors import DataError
from rnncast.forecasting import panel

SETTINGS = dict(model="gru", units=8, lookback=12, epochs=2, batch_size=64, seed=0)


def test_a_padded_window_reads_copies_of_the_first_row(panel_frame):
    """One-step, recursive and final forecasts from a short history equal the network's
    forecast of the window written out with the first value repeated."""
    settings = {**SETTINGS, "horizon": 2, "test_size": 0, "val_size": 0, "pad": True}
    f = Forecaster(**settings).fit(panel_frame, target="sales", id="item")
    p, g = f.predictor_, f.data_.ids.index("item000")  # a 10-row series
    data = f.data_.series(g)
    y = data.frame["sales"].to_numpy()
    written = np.r_[np.full(12 - 3, y[0]), y[:3]][None, :, None]  # rows -9 .. 2
    expected = p.predict(written, group=g)[0]  # (S, C)
    np.testing.assert_allclose(p.one_step(data, np.array([3]))[0], expected, rtol=1e-5)
    np.testing.assert_allclose(p.recursive(data, 3, 2), expected, rtol=1e-5)
    whole = np.r_[np.full(2, y[0]), y][None, :, None]
    out = f.forecast(2)
    out = out[out["item"] == "item000"]
    np.testing.assert_allclose(out["sales"], p.predict(whole, group=g)[0, :, 0], rtol=1e-5)


def test_short_series_are_trained_on_and_forecast_by_the_model(panel_frame):
    settings = {**SETTINGS, "test_size": 0, "val_size": 0, "fallback": "seasonal-naive"}
    plain = Forecaster(**settings).fit(panel_frame, target="sales", id="item")
    padded = Forecaster(**settings, pad=True).fit(panel_frame, target="sales", id="item")
    assert len(plain.usable_) == 294 and len(padded.usable_) == 300
    assert set(plain.forecast(3)["forecast_by"]) > {"model"}
    assert set(padded.forecast(3)["forecast_by"]) == {"model"}
    p, reach = padded.predictor_, 1
    values, spans, _ = panel.training_origins(p, padded.data_, padded.splits_, padded.usable_, 1)
    # a 10-row series gives two windows (origins 8 and 9 of its own rows), after 4 copies of
    # its first row; a 48-row series is not padded and gives 48 - 12 windows
    short = padded.data_.ids.index("item000")
    runs = dict(zip(spans.groups.tolist(), spans.counts.tolist(), strict=True))
    assert runs[short] == 2 and runs[padded.data_.ids.index("item001")] == 48 - 12
    assert len(values) == sum(len(padded.data_.series(g).frame) for g in range(300)) + 6 * 4
    assert panel.first_origin(p, 10, reach) == 8 and panel.first_origin(p, 48, reach) == 12


def test_a_series_too_short_for_any_window_is_forecast_by_the_model_the_others_trained(
    panel_frame,
):
    tiny = pd.DataFrame(
        {"item": "tiny", "month": pd.date_range("2021-01-01", periods=2, freq="MS")}
    )
    frame = pd.concat([panel_frame, tiny.assign(sales=[40.0, 42.0])])
    settings = {**SETTINGS, "horizon": 3, "test_size": 0, "val_size": 0, "pad": True}
    f = Forecaster(**settings).fit(frame, target="sales", id="item")
    g = f.data_.ids.index("tiny")
    assert g in f.usable_
    _, spans, _ = panel.training_origins(f.predictor_, f.data_, f.splits_, f.usable_, 3)
    assert dict(zip(spans.groups.tolist(), spans.counts.tolist(), strict=True))[g] == 0
    out = f.forecast(3)
    mine = out[out["item"] == "tiny"]
    assert len(mine) == 3 and set(mine["forecast_by"]) == {"model"}
    window = np.r_[np.full(10, 40.0), 40.0, 42.0][None, :, None]
    np.testing.assert_allclose(mine["sales"], f.predictor_.predict(window, g)[0, :, 0], rtol=1e-5)
    with pytest.raises(DataError, match="No series is long enough"):
        Forecaster(**settings).fit(tiny.assign(item="a", sales=1.0), target="sales", id="item")


def test_a_panel_of_series_too_short_to_score_is_fitted_and_forecast():
    """Test parts that start less than a season in cannot be scored beside seasonal naive:
    the fit says so in its counts instead of failing."""
    frames = [
        pd.DataFrame(
            {
                "item": name,
                "month": pd.date_range("2020-01-01", periods=10, freq="MS"),
                "sales": 50.0 + k + np.arange(10.0),
            }
        )
        for k, name in enumerate(("a", "b"))
    ]
    settings = {**SETTINGS, "test_size": 3, "val_size": 0, "pad": True}
    f = Forecaster(**settings).fit(pd.concat(frames), target="sales", id="item")
    assert f.metrics_["test"] is None and f.metrics_["n_series_scored"] == 0
    assert len(f.forecast(2)) == 4


def test_one_short_series_fits_scores_and_forecasts_only_with_pad():
    t = np.arange(30)
    frame = pd.DataFrame({"y": 50 + 10 * np.sin(2 * np.pi * t / 12) + t})
    settings = {**SETTINGS, "lookback": 24, "horizon": 3, "test_size": 6, "val_size": 0}
    with pytest.raises(DataError, match="lookback=24 .* shorter lookback, `pad` or"):
        Forecaster(**settings).fit(frame, target="y")
    f = Forecaster(**settings, pad=True).fit(frame, target="y")
    assert f.metrics_["test"]["one_step"]["model"]["rmse"] > 0  # scored like any other
    assert len(f.forecast(5)) == 5
    with pytest.raises(DataError, match="a padded window needs one row before horizon=3"):
        Forecaster(**{**settings, "test_size": 27}, pad=True).fit(frame, target="y")


def test_pad_from_the_cli_and_through_save_and_load(tmp_path, panel_frame):
    path = tmp_path / "panel.csv"
    panel_frame.to_csv(path, index=False)
    run = tmp_path / "run"
    args = ["fit", str(path), "--target", "sales", "--id", "item", "--model", "gru"]
    args += ["--units", "8", "--lookback", "12", "--epochs", "1", "--pad", "--out", str(run)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    g = Forecaster.load(str(run))
    assert g.config_.pad and len(g.usable_) == 300
    out = g.forecast(2)
    assert out["item"].nunique() == 300 and out["sales"].notna().all()
