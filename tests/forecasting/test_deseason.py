"""Seasonality removed before the network (``deseason``): indices from training rows only, tied
to the calendar, put back exactly, saved and checked like every run file."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.data import seasonal
from rnncast.errors import ConfigError, RunError

SETTINGS = dict(model="gru", units=8, lookback=12, horizon=6, epochs=3, seed=0, lr=5e-3)
FACTORS = 1 + 0.3 * np.sin(2 * np.pi * np.arange(12) / 12)  # by calendar month, Jan first


def monthly(n: int = 120, start: str = "2010-01-01", slope: float = 1.0) -> pd.DataFrame:
    dates = pd.date_range(start, periods=n, freq="MS")
    y = (100 + slope * np.arange(n)) * FACTORS[dates.month - 1]
    return pd.DataFrame({"month": dates, "y": y})


def test_indices_are_learned_by_calendar_phase_whatever_the_first_month():
    for start in ("2010-01-01", "2010-03-01", "2011-11-01"):
        data = monthly(60, start)
        phase = seasonal.first_phase(pd.DatetimeIndex(data["month"]), "MS")
        got = seasonal.fit_indices(data[["y"]].to_numpy(), 12, phase)[:, 0]
        by_month = got[(phase + np.arange(12)) % 12]  # the indices of the data's first 12 rows
        first_months = pd.DatetimeIndex(data["month"][:12]).month - 1
        np.testing.assert_allclose(by_month, FACTORS[first_months] / FACTORS.mean(), rtol=0.02)


def test_indices_follow_the_recent_seasons_when_the_season_drifts():
    """Ten years of one pattern, then RECENT + 1 years of its opposite (the moving average
    leaves out the last half year): the indices are the recent pattern's, where the whole
    history's would be nearly flat."""
    old, new = FACTORS, 2 - FACTORS
    years = 10 + seasonal.RECENT + 1
    y = np.concatenate([np.tile(old, 10), np.tile(new, seasonal.RECENT + 1)]) * 100
    got = seasonal.fit_indices(y[:, None], 12, 0)[:, 0]
    np.testing.assert_allclose(got, new / new.mean(), rtol=0.03)
    assert np.ptp(seasonal.indices(y, 12, recent=None)) < 0.5 * np.ptp(got)
    assert len(y) == 12 * years


def test_only_a_significant_season_of_positive_values_is_removed():
    rng = np.random.default_rng(0)
    assert seasonal.is_seasonal(monthly(48)["y"].to_numpy(), 12)
    assert not seasonal.is_seasonal(rng.normal(size=48) + 10, 12)
    assert not seasonal.is_seasonal(monthly(30)["y"].to_numpy(), 12)  # under three seasons
    rows = np.c_[monthly(48)["y"], rng.normal(size=48) + 10, monthly(48)["y"] - 200]
    got = seasonal.fit_indices(rows, 12, 0)
    assert np.ptp(got[:, 0]) > 0.5 and (got[:, 1:] == 1).all()  # noise; a negative value


def test_the_network_sees_the_series_without_its_season_and_the_forecast_gets_it_back():
    data = monthly()
    f = Forecaster(**SETTINGS, deseason=True).fit(data, target="y")
    p, part = f.predictor_, f.data_
    s = p.scaler.seasons_[0, :, 0]  # by phase; 2010-01 has phase 480 = 0 mod 12
    assert seasonal.first_phase(part.frame.index, "MS") % 12 == 0
    np.testing.assert_allclose(s / s.mean(), FACTORS / FACTORS.mean(), rtol=0.02)
    train = f.split_.n_train
    flat = data["y"].to_numpy() / s[np.arange(120) % 12]
    expected = p.scaler.transform(flat[:, None])[:, 0]
    np.testing.assert_allclose(p.scaled(part)[:, 0], expected, rtol=1e-5)
    shift = p.scaler.shift_[0, 0]
    assert shift == pytest.approx(flat[:train].min())  # min-max of the deseasonalised rows
    # one step from the true history: the network's output times the index of each row
    origins = np.array([100, 101])
    raw = p.at_steps(np.stack([p.scaled(part)[o - 12 : o] for o in origins]))
    rows = origins[:, None] + np.arange(6)
    back = p.scaler.inverse(raw, [0]) * s[rows % 12][..., None]
    np.testing.assert_allclose(p.one_step(part, origins), back, rtol=1e-5)


def test_it_pays_on_a_strongly_seasonal_trending_series():
    data = monthly()
    settings = {**SETTINGS, "epochs": 30}
    plain = Forecaster(**settings).fit(data, target="y").metrics_["test"]["one_step"]
    removed = Forecaster(**settings, deseason=True).fit(data, target="y").metrics_["test"]
    assert removed["one_step"]["model"]["rmse"] < 0.5 * plain["model"]["rmse"]


def test_new_observations_from_any_month_line_up(tmp_path):
    data = monthly()
    f = Forecaster(**SETTINGS, deseason=True, test_size=0, val_size=0).fit(data, target="y")
    whole = f.forecast(8)
    for cut in (29, 100):  # not whole years: the phase comes from the dates
        later = f.forecast(8, data=data.iloc[cut:])
        np.testing.assert_allclose(later["y"], whole["y"], rtol=1e-6)
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(8), whole)
    with pytest.raises(ConfigError, match="window without dates cannot place"):
        f.predict(np.ones((1, 12, 1)))
    for cut in (0, 5):  # a dated window is placed by its dates, wherever it ends
        window = data.iloc[len(data) - 12 - cut : len(data) - cut]
        expected = f.forecast(6, data=data.iloc[: len(data) - cut])
        np.testing.assert_allclose(f.predict(window)["y"], expected["y"], rtol=1e-6)
        assert f.predict(window)["month"].tolist() == expected["month"].tolist()


def test_many_series_each_get_their_own_indices():
    frames = []
    for k, shift in enumerate((0, 3, 6)):
        frame = monthly(72, f"2012-{1 + shift:02d}-01", slope=k)
        frames.append(frame.assign(item=f"s{k}"))
    flat = pd.DataFrame({"month": pd.date_range("2012-01-01", periods=72, freq="MS")})
    frames.append(flat.assign(item="flat", y=50.0 + np.random.default_rng(1).normal(size=72)))
    f = Forecaster(**SETTINGS, deseason=True).fit(pd.concat(frames), target="y", id="item")
    seasons = dict(zip(f.data_.ids, f.predictor_.scaler.seasons_[:, :, 0], strict=True))
    for name in ("s1", "s2"):  # by calendar phase: the same season whatever the first month
        np.testing.assert_allclose(seasons[name], seasons["s0"], rtol=0.03)
    assert np.ptp(seasons["s0"]) > 0.5 and (seasons["flat"] == 1).all()  # no season: none
    assert set(f.forecast(6)["item"]) == {"s0", "s1", "s2", "flat"}


def test_errors_and_a_tampered_run(tmp_path):
    yearly = pd.DataFrame({"year": pd.date_range("1900", periods=80, freq="YS"), "y": 1.0})
    with pytest.raises(ConfigError, match="needs a season of two or more rows"):
        Forecaster(**SETTINGS, deseason=True).fit(yearly.assign(y=np.arange(80.0)), target="y")
    run = Forecaster(**SETTINGS, deseason=True).fit(monthly(), target="y").save(str(tmp_path / "r"))
    path = tmp_path / "r" / "scaler.json"
    state = json.loads(path.read_text())
    for seasons, match in ((None, "lacks seasonal indices"), ([[[0.0]] * 12], "malformed")):
        edited = {k: v for k, v in state.items() if k != "seasons"}
        if seasons is not None:
            edited["seasons"] = seasons
        path.write_text(json.dumps(edited))
        with pytest.raises(RunError, match=match):
            Forecaster.load(run)


def test_deseason_from_the_cli(tmp_path):
    path = tmp_path / "monthly.csv"
    monthly().to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--target", "y", "--model", "gru", "--units", "8"]
    args += ["--lookback", "12", "--epochs", "2", "--deseason", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["settings"]["deseason"] is True
    assert "seasons" in json.loads((out / "scaler.json").read_text())
