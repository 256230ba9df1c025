"""The predictor on its own: original units in and out, and the two ways to many steps."""

import numpy as np
import pandas as pd
import pytest
import torch

from rnncast.config import FitConfig
from rnncast.data.scaling import Scaler
from rnncast.errors import DataError
from rnncast.forecasting.predictor import Predictor, build_net, window_array

CPU = torch.device("cpu")


def _predictor(strategy: str, steps=(1,)) -> Predictor:
    torch.manual_seed(0)
    cfg = FitConfig(model="gru", units=4, lookback=5, horizon=len(steps), strategy=strategy)
    scaler = Scaler("standard").fit_groups([np.arange(20.0)[:, None]])
    net = build_net(cfg, n_inputs=1, n_targets=1).eval()
    return Predictor(net, scaler, [0], [0], 5, steps, strategy, CPU)


def test_predict_scales_the_window_and_inverts_the_forecast():
    p = _predictor("direct")
    x = np.arange(5.0)[None, :, None]  # (1, L, F)
    scaled = (x - p.scaler.shift_[0]) / p.scaler.scale_[0]
    with torch.inference_mode():
        out = p.net(torch.tensor(scaled, dtype=torch.float32)).numpy()
    expected = out * p.scaler.scale_[0][0] + p.scaler.shift_[0][0]
    np.testing.assert_allclose(p.predict(x), expected, rtol=1e-6)


def test_recursion_feeds_each_step_to_the_next():
    p = _predictor("recursive", steps=(1, 2, 3))
    x = np.random.default_rng(0).normal(size=(4, 5, 1)).astype(np.float32)
    block = p.run(x)  # (B, 3, 1): every step 1..3
    first = p.net(torch.from_numpy(x)).detach().numpy()[:, 0]  # (B, 1)
    moved = np.concatenate([x[:, 1:], first[:, None]], axis=1)
    second = p.net(torch.from_numpy(moved)).detach().numpy()[:, 0]
    np.testing.assert_allclose(block[:, 0], first, rtol=1e-6)
    np.testing.assert_allclose(block[:, 1], second, rtol=1e-5, atol=1e-6)
    assert p.contiguous and p.max_step == 3


def test_windows_of_the_wrong_shape_are_refused_with_the_columns():
    with pytest.raises(DataError, match=r"shape \(B, 5, 1\) for columns y; got \(1, 4, 1\)"):
        window_array(np.zeros((4, 1)), 5, ["y"])
    with pytest.raises(DataError, match="needs column 'y'"):
        window_array(pd.DataFrame({"x": range(5)}), 5, ["y"])
    assert window_array(pd.DataFrame({"y": range(9)}), 5, ["y"])[0, :, 0].tolist() == [
        4,
        5,
        6,
        7,
        8,
    ]


def _chunked(p: Predictor, x: np.ndarray, monkeypatch) -> list[int]:
    """Run ``x`` through ``p`` in chunks of 16 and return the size of each network call."""
    from rnncast.forecasting import predictor as module

    whole, calls, run_one = p.run(x), [], p._run
    monkeypatch.setattr(p, "_run", lambda *a: calls.append(len(a[0])) or run_one(*a))
    monkeypatch.setattr(module, "CHUNK", 16)
    np.testing.assert_allclose(p.run(x), whole, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(p.run(x, np.zeros(len(x), dtype=int)), whole, rtol=1e-6, atol=1e-7)
    monkeypatch.undo()
    return calls


@pytest.mark.parametrize("strategy, steps", [("direct", (1,)), ("recursive", (1, 2, 3))])
def test_many_windows_go_through_the_network_in_bounded_chunks(monkeypatch, strategy, steps):
    """Forecasts of more windows than one chunk equal those made at once, with one series or
    one per window."""
    x = np.random.default_rng(1).normal(size=(50, 5, 1)).astype(np.float32)
    assert _chunked(_predictor(strategy, steps), x, monkeypatch)[:4] == [16, 16, 16, 2]
