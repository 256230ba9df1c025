"""Per-window normalisation: each window on its own level, leak-free and inverted exactly;
and the scale-free sMAPE loss."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from rnncast import Forecaster, datasets
from rnncast.errors import ConfigError
from rnncast.nn.networks import WindowNorm, build_network
from rnncast.training.loop import make_loss


def _norm(level: str, log: bool) -> WindowNorm:
    torch.manual_seed(0)
    core = build_network("lstm(8) > dense", input_size=2, lookback=6, n_steps=3, n_targets=1)
    return WindowNorm(core, targets=[1], level=level, log=log)


@pytest.mark.parametrize("level", ["last", "mean"])
def test_a_window_is_read_relative_to_its_own_level(level):
    x = torch.rand(4, 6, 2) + 1.0
    shifted = x.clone()
    shifted[..., 1] += 50.0  # the target only; the other input stays
    net = _norm(level, log=False)
    torch.testing.assert_close(net(shifted), net(x) + 50.0, atol=1e-4, rtol=0)
    scaled = x.clone()
    scaled[..., 1] *= 7.0
    net = _norm(level, log=True)
    torch.testing.assert_close(net(scaled), net(x) * 7.0, rtol=1e-4, atol=0)


def test_the_level_comes_from_the_window_alone():
    """Changing the target after the window (what is forecast) cannot change the level: the
    network reads only the window, so the forecast is the same."""
    net = _norm("last", log=True)
    x = torch.rand(2, 6, 2) + 1.0
    before = net(x)
    x[:, :-1, 1] *= 3.0  # earlier inputs change the forecast only through the network
    assert not torch.allclose(net(x), before)
    assert net(x).shape == (2, 3, 1)


@pytest.fixture(scope="module")
def airline():
    return datasets.load("airline")


SETTINGS = dict(model="lstm", units=32, lookback=24, horizon=12, epochs=200, patience=30)
SETTINGS.update(lr=3e-3, test_size=24, val_size=12, seed=0)


def test_log_ratios_to_the_last_value_beat_seasonal_naive_on_a_trending_series(airline):
    """Airline passengers grow and their season grows with them: a plain network on min-max
    scaled values loses to 'same month last year'; windows as log ratios to their last value
    win in both modes."""
    plain = Forecaster(**SETTINGS).fit(airline, target="passengers").metrics_["test"]
    norm = Forecaster(**SETTINGS, window_norm="last", log=True, scaler="none")
    test = norm.fit(airline, target="passengers").metrics_["test"]
    for mode in ("one_step", "recursive"):
        seasonal = test[mode]["seasonal_naive"]["rmse"]
        assert test[mode]["model"]["rmse"] < 0.7 * seasonal < plain[mode]["model"]["rmse"]


def test_a_normalised_model_saves_loads_and_forecasts_the_same(airline, tmp_path):
    f = Forecaster(**{**SETTINGS, "epochs": 2}, window_norm="mean", log=True, scaler="none")
    f.fit(airline, target="passengers")
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(24), f.forecast(24))
    assert isinstance(g.predictor_.net, WindowNorm) and g.predictor_.net.log


def test_window_norm_settings_are_checked(airline):
    with pytest.raises(ConfigError, match="`log` takes log ratios to a window's level"):
        Forecaster(model="lstm", log=True).fit(airline, target="passengers")
    positive = r"needs positive values, but a training value is 0 as the network sees it \(`scaler`"
    with pytest.raises(ConfigError, match=positive):
        Forecaster(window_norm="last", log=True, scaler="minmax").fit(airline, target="passengers")
    with pytest.raises(ConfigError, match="`window_norm` must be one of last, mean, none"):
        Forecaster(window_norm="median").fit(airline, target="passengers")


def test_smape_loss():
    loss = make_loss("smape")
    actual, forecast = torch.tensor([100.0, 0.0, 50.0]), torch.tensor([110.0, 0.0, 0.0])
    expected = (2 * 10 / 210 + 0 + 2) / 3  # both zero: no error; one zero: the maximum, 2
    assert loss(forecast, actual).item() == pytest.approx(expected)


def test_a_stack_of_dilated_layers_fits_saves_and_loads(airline, tmp_path):
    spec = "lstm(8, dilation=3) > lstm(8, dilation=12) > dense"
    settings = {k: v for k, v in SETTINGS.items() if k != "units"}
    f = Forecaster(**{**settings, "epochs": 2, "model": spec}).fit(airline, target="passengers")
    blocks = [b for b in f.predictor_.net.blocks if hasattr(b, "dilation")]
    assert [b.dilation for b in blocks] == [3, 12]
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(12), f.forecast(12))


def test_the_pinball_loss_trains_for_its_quantile():
    loss = make_loss("pinball", quantile=0.2)
    actual = torch.tensor([10.0, 10.0])
    assert loss(torch.tensor([8.0, 13.0]), actual).item() == pytest.approx((0.2 * 2 + 0.8 * 3) / 2)
    # the constant minimising it over a sample is the sample's 0.2-quantile
    sample = torch.arange(1.0, 11.0)
    best = min(torch.arange(0.0, 12.0, 0.5), key=lambda c: loss(c.expand(10), sample).item())
    assert 2.0 <= best.item() <= 3.0


def test_a_low_quantile_forecasts_lower(airline):
    settings = {**SETTINGS, "epochs": 60, "loss": "pinball"}
    low = Forecaster(**settings, quantile=0.1).fit(airline, target="passengers").forecast(12)
    high = Forecaster(**settings, quantile=0.9).fit(airline, target="passengers").forecast(12)
    assert (low["passengers"] < high["passengers"]).mean() > 0.8
    with pytest.raises(ConfigError, match="`quantile` must be"):
        Forecaster(quantile=1.0).fit(airline, target="passengers")
