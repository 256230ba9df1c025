"""The exponential-smoothing front end (``es``): the Holt-Winters recursion as written out by
hand, the level and season put back exactly, coefficients per series, and the spec rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from rnncast.errors import ConfigError
from rnncast.nn.smoothing import Smoothing
from rnncast.nn.spec import parse_spec, spec_text


class Zero(nn.Module):
    """A network that forecasts a log ratio of 0 at every step: the smoothing alone."""

    spec = "zero"

    def __init__(self, n_steps: int) -> None:
        super().__init__()
        self.n_steps = n_steps

    def forward(self, x, series=None):
        return torch.zeros(x.shape[0], self.n_steps, 1) + 0 * x.sum()


def holt_winters(y: np.ndarray, m: int, alpha: float, gamma: float) -> tuple[float, list]:
    """The recursion of rnncast.nn.smoothing, one value at a time."""
    s = list(y[:m] / y[:m].mean())
    level = y[0] / s[0]
    for i, value in enumerate(y):
        if i:
            level = alpha * value / s[i] + (1 - alpha) * level
        s.append(gamma * value / level + (1 - gamma) * s[i])
    return level, s


def test_the_recursion_is_holt_winters_with_each_series_own_coefficients():
    rng = np.random.default_rng(0)
    y = rng.uniform(50, 150, size=(2, 10))
    es = Smoothing(Zero(3), targets=[0], n_series=2, season=4, steps=(1, 2, 3))
    with torch.no_grad():
        es.level_logit[:] = torch.tensor([[-1.0], [2.0]])
        es.season_logit[:] = torch.tensor([[0.5], [-2.0]])
    x = torch.tensor(y[..., None], dtype=torch.float64)
    es = es.double()
    with torch.no_grad():
        level, factors = es.components(x, torch.tensor([0, 1]))
        out = es(x, torch.tensor([0, 1]))  # the network says 0: level x factor of each step
    for b in range(2):
        alpha = torch.sigmoid(es.level_logit[b, 0]).item()
        gamma = torch.sigmoid(es.season_logit[b, 0]).item()
        want_level, want_s = holt_winters(y[b], 4, alpha, gamma)
        assert level[b, 0].item() == pytest.approx(want_level, rel=1e-10)
        np.testing.assert_allclose(factors[b, :, 0].numpy(), want_s, rtol=1e-10)
    np.testing.assert_allclose(out[:, :, 0], level * factors[:, 10:13, 0], rtol=1e-10)


def test_a_seasonal_series_on_a_flat_level_is_forecast_exactly_beyond_one_season():
    pattern = np.array([0.6, 1.4, 1.1, 0.9])
    y = 200 * np.tile(pattern, 4)[None, :, None]  # 16 rows, phase 0 first
    steps = (1, 2, 4, 5, 7)
    es = Smoothing(Zero(len(steps)), targets=[0], n_series=1, season=4, steps=steps).double()
    out = es(torch.tensor(y)).detach().numpy()[0, :, 0]
    np.testing.assert_allclose(out, 200 * pattern[(np.array(steps) - 1) % 4], rtol=1e-12)


def test_the_network_sees_scale_free_inputs_so_the_forecast_scales_with_the_data():
    torch.manual_seed(0)
    core = nn.Sequential(nn.Flatten(), nn.Linear(12, 2))
    core.spec = "linear"

    class Net(nn.Module):
        spec = "linear"

        def __init__(self):
            super().__init__()
            self.core = core

        def forward(self, x, series=None):
            return self.core(x)[:, :, None]

    es = Smoothing(Net(), targets=[0], n_series=1, season=3, steps=(1, 2))
    x = torch.rand(4, 12, 1) + 0.5
    torch.testing.assert_close(es(x * 1000.0), es(x) * 1000.0, rtol=1e-4, atol=0)


def test_the_spec_language():
    layers = parse_spec("es > lstm(8) > dense")
    assert [layer.kind for layer in layers] == ["es", "lstm", "dense"]
    assert spec_text(layers) == "es > lstm(8) > dense"
    assert spec_text(parse_spec("es(4) > gru(8) > dense")) == "es(4) > gru(8) > dense"
    assert spec_text(parse_spec("es-rnn")).startswith("es > lstm(32) > lstm(32, dilation=2)")
    assert parse_spec("es > cnn > lstm(4) > dense")[1].kind == "cnn"  # a front end after es
    for spec, match in (
        ("lstm(8) > es > dense", "must be the first layer"),
        ("es", "needs a network after it"),
        ("es(-1) > dense", "whole number of rows"),
        ("es(season=1.5) > dense", "whole number of rows"),
    ):
        with pytest.raises(ConfigError, match=match):
            parse_spec(spec)
