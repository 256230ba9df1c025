"""Several quantiles at once (``quantiles``): one network emits every quantile of every step,
trained on their pinball losses; the outer two make a second interval beside the conformal one,
scored on the test part, and they reach the forecast, the plot and a saved run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import FitConfig, Forecaster
from rnncast.cli.app import app
from rnncast.errors import ConfigError
from rnncast.evaluation.intervals import quantile_scores
from rnncast.forecasting.panel import pooled_quantiles
from rnncast.nn.networks import Ensemble, Quantiles, build_network
from rnncast.training.loop import PinballLoss

QUICK = dict(model="dense", units=16, lookback=12, horizon=3, epochs=25, lr=0.01, seed=0)


def noisy(n: int = 480, sigma: float = 2.0, seed: int = 0) -> pd.DataFrame:
    """A monthly season plus Gaussian noise of known spread: its 10% and 90% quantiles lie
    1.28 sigma either side of the season."""
    t = np.arange(n)
    y = 50 + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(seed).normal(0, sigma, n)
    return pd.DataFrame({"month": pd.date_range("1980-01-01", periods=n, freq="MS"), "y": y})


def test_settings():
    cfg = FitConfig(model="gru", quantiles="0.9,0.1")
    assert cfg.quantiles == (0.1, 0.5, 0.9) and cfg.point == 1 and cfg.loss == "pinball"
    assert FitConfig.from_dict(cfg.to_dict()) == cfg
    for changes, match in (
        (dict(loss="mae"), "leave out .*loss"),
        (dict(strategy="recursive"), "needs .*strategy.? ?=?.?direct"),
        (dict(model="seq2seq"), "seq2seq cannot"),
        (dict(quantiles=(0.1, 1.0)), "quantiles"),
        (dict(quantiles=(0.2, 0.2)), "different values"),
    ):
        with pytest.raises(ConfigError, match=match):
            FitConfig(**{"quantiles": (0.1, 0.9), **changes})


def test_the_loss_is_the_mean_pinball_loss_of_each_block():
    actual = torch.tensor([[[10.0], [20.0]]])  # (B=1, S=2, C=1)
    forecast = torch.tensor([[[8.0], [25.0], [10.0], [20.0], [12.0], [15.0]]])  # 3 blocks of S
    # q=0.1: errors 2, -5 -> 0.2, 4.5; q=0.5: 0, 0; q=0.9: -2, 5 -> 0.2, 4.5
    want = np.mean([0.2, 4.5, 0.0, 0.0, 0.2, 4.5])
    assert PinballLoss((0.1, 0.5, 0.9))(forecast, actual).item() == pytest.approx(want)
    summed = PinballLoss((0.1, 0.5, 0.9), reduction="sum")(forecast, actual).item()
    assert summed == pytest.approx(want * actual.numel())  # sum over values, mean over q
    assert PinballLoss(0.1)(actual[0, :, 0] - 1, actual[0, :, 0]).item() == pytest.approx(0.1)


def test_the_wrapper_sorts_blocks_and_its_point_is_the_median_block():
    torch.manual_seed(0)
    core = build_network("dense(8, relu) > dense", input_size=1, lookback=4, n_steps=2 * 3)
    q = Quantiles(core, (0.1, 0.5, 0.9))
    x = torch.randn(7, 4, 1)
    every = q.every(x)
    assert (every.diff(dim=-1) >= 0).all()  # never crossing
    raw = core(x).reshape(7, 3, 2, 1).permute(0, 2, 3, 1)
    torch.testing.assert_close(every, raw.sort(dim=-1).values)
    torch.testing.assert_close(q(x), every[..., 1])


def test_the_quantiles_learn_the_spread_of_the_noise_and_are_scored_on_the_test_part():
    data = noisy()
    f = Forecaster(**QUICK, quantiles=(0.1, 0.9)).fit(data, target="y")
    qs = f.metrics_["quantiles"]
    s = qs["one_step"]
    assert qs["levels"] == [0.1, 0.5, 0.9] and qs["nominal"] == pytest.approx(80.0)
    assert 65 <= s["coverage"] <= 92, s  # nominal 80%
    assert s["below"][0] < 22 and 35 < s["below"][1] < 65 and s["below"][2] > 78, s
    assert s["width"] == pytest.approx(2 * 1.2816 * 2.0, rel=0.35)  # the noise's 80% range
    # the scores are those of the forecasts, as written out by hand
    p, part, split = f.predictor_, f.data_, f.split_
    origins = np.arange(split.test_start, len(data) - 2)
    every = p.quantile_forecasts(part, origins)
    actual = data["y"].to_numpy()[origins[:, None] + np.arange(3)][..., None]
    assert quantile_scores(actual, every, p.quantiles) == qs
    point = p.one_step(part, origins)
    np.testing.assert_allclose(every[..., 1], point, rtol=1e-6)  # the median is the forecast


def test_the_forecast_carries_the_quantiles_and_the_run_keeps_them(tmp_path):
    f = Forecaster(**QUICK, quantiles=(0.05, 0.9), members=2).fit(noisy(200), target="y")
    assert isinstance(f.predictor_.net, Quantiles)
    assert isinstance(f.predictor_.net.net, Ensemble)  # median of members, block by block
    frame = f.forecast(3)
    assert list(frame.columns) == ["month", "y", "q0.05", "q0.9"]
    assert (frame["q0.05"] <= frame["y"]).all() and (frame["y"] <= frame["q0.9"]).all()
    with pytest.raises(ConfigError, match="forecast at most 3 steps"):
        f.forecast(4)
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(3), frame)
    with_interval = f.forecast(3, interval=0.8)
    assert list(with_interval.columns) == ["month", "y", "lower", "upper", "q0.05", "q0.9"]


def test_many_series_pool_their_coverage():
    frames = [noisy(150, sigma, k).assign(item=f"s{k}") for k, sigma in enumerate((1, 5, 20))]
    f = Forecaster(**{**QUICK, "epochs": 5}, quantiles=(0.1, 0.9)).fit(
        pd.concat(frames), target="y", id="item"
    )
    pooled, table = f.metrics_["quantiles"], f.metrics_["series"]
    assert pooled["series"] == 3 and pooled["one_step"]["width"] is None  # units differ
    points = pooled["one_step"]["points"] / 3  # the same test length each
    assert points == int(points)
    want = table["quantile_coverage"].mean()
    assert pooled["one_step"]["coverage"] == pytest.approx(want)
    blocks = [{**pooled, "one_step": {**pooled["one_step"], "points": 0}}]
    assert pooled_quantiles(blocks)["one_step"]["coverage"] is None  # nothing to pool
    forecast = f.forecast(3)
    assert {"q0.1", "q0.9"} <= set(forecast.columns) and forecast["q0.1"].notna().all()


def test_from_the_cli(tmp_path):
    path = tmp_path / "noisy.csv"
    noisy(200).to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--target", "y", "--model", "dense", "--units", "8"]
    args += ["--lookback", "12", "--horizon", "3", "--epochs", "3", "--quantiles", "0.1,0.9"]
    result = CliRunner().invoke(app, [*args, "--forecast", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "the 80% interval from q0.1 to q0.9 covers" in text
    assert json.loads((out / "metrics.json").read_text())["quantiles"]["levels"] == [0.1, 0.5, 0.9]
    assert list(pd.read_csv(out / "forecast.csv").columns) == ["month", "y", "q0.1", "q0.9"]
    assert "Quantiles 0.1, 0.5, 0.9" in (out / "report.html").read_text()
    again = CliRunner().invoke(app, ["forecast", str(out)])
    assert again.exit_code == 0 and "q0.9" in again.output
    bad = CliRunner().invoke(app, [*args, "--loss", "mse", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert not (tmp_path / "bad").exists()


def test_the_conformal_interval_of_many_series_is_scored_per_series_and_pooled():
    frames = [noisy(200, sigma, k).assign(item=f"s{k}") for k, sigma in enumerate((1, 5))]
    f = Forecaster(**{**QUICK, "epochs": 5}, interval=0.8).fit(
        pd.concat(frames), target="y", id="item"
    )
    pooled, table = f.metrics_["interval"], f.metrics_["series"]
    assert pooled["series"] == 2 and pooled["level"] == 0.8
    for mode in ("one_step", "recursive"):
        column = table[f"interval_coverage_{mode}"]
        assert column.notna().all()
        assert pooled[mode]["coverage"] == pytest.approx(column.mean())  # equal test lengths
        assert pooled[mode]["width"] is None  # in each series' units: per series only
    assert {"lower", "upper"} <= set(f.forecast(3).columns)


def test_quantiles_of_counts_stop_at_zero_but_never_above_the_median():
    """As the conformal bounds do (tests/evaluation/test_intervals.py): a series never below 0
    in its training rows gets no quantile below 0, unless the median itself is."""
    rng = np.random.default_rng(0)
    t = np.arange(400)
    counts = rng.poisson(1.0 + 0.8 * np.sin(2 * np.pi * t / 7)).astype(float)
    frame = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=t.size), "y": counts})
    f = Forecaster(
        model="gru", units=4, lookback=14, horizon=7, epochs=2, test_size=50, val_size=100,
        quantiles=(0.05, 0.95), seed=0,
    ).fit(frame, target="y")  # fmt: skip
    out = f.forecast()
    raw = f.predictor_.quantile_forecasts(f.data_, np.array([len(frame)]))[0, :, 0, 0]
    floor = np.minimum(0.0, out["y"].to_numpy())
    assert (raw < floor).any()  # the floor has work to do here
    np.testing.assert_allclose(out["q0.05"], np.maximum(raw, floor))
    assert (out["q0.05"] <= out["y"]).all() and (out["y"] <= out["q0.95"]).all()
