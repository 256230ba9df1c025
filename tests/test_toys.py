"""The classic toy problems of the lecture notes, learned by every architecture.

Each answer lies one step beyond the training data, so a model must extrapolate a little, as
in the notes (0.1 ... 0.9 -> 1.0). Stacked LSTMs extrapolate least well: two steps ahead
they land within 1.6 of 23 and 25, so that is the tolerance there.
"""

import numpy as np
import pandas as pd
import pytest

from rnncast import Forecaster

# Sized for a lookback of 3: the CNN and ConvLSTM read three sub-sequences of one step.
TOY_ARCHITECTURES = {
    "dense": "dense(32, relu) > dense",
    "rnn": "rnn(16) > dense",
    "stacked-rnn": "rnn(16) > rnn(16) > dense",
    "lstm": "lstm(16) > dense",
    "stacked-lstm": "lstm(16) > lstm(16) > dense",
    "gru": "gru(16) > dense",
    "stacked-gru": "gru(16) > gru(16) > dense",
    "mixed": "lstm(16) > lstm(16) > gru(8) > dense",
    "bilstm": "bilstm(16) > dense",
    "bigru": "bigru(16) > dense",
    "cnn-lstm": "cnn(filters=16, kernel=1, sub=3, pool=1) > lstm(16) > dense",
    "convlstm": "convlstm(filters=16, kernel=1, sub=3) > dense",
    "seq2seq": "seq2seq(16) > dense",
}


def _fit(arch: str, data, settings=None, **fit_args) -> Forecaster:
    """Train the toy-sized ``arch`` on all of ``data`` (no validation or test part)."""
    base = dict(
        model=TOY_ARCHITECTURES[arch],
        lookback=3,
        epochs=500,
        lr=0.01,
        batch_size=8,
        test_size=0,
        val_size=0,
        seed=0,
    )
    return Forecaster(**{**base, **(settings or {})}).fit(data, **fit_args)


@pytest.mark.parametrize("arch", TOY_ARCHITECTURES)
def test_tenths(arch):
    series = pd.Series(np.round(np.arange(1, 10) / 10, 1), name="y")
    f = _fit(arch, series, target="y")
    assert f.forecast(1)["y"].iloc[0] == pytest.approx(1.0, abs=0.06)


@pytest.mark.parametrize("arch", TOY_ARCHITECTURES)
def test_odd_numbers_two_steps_ahead(arch):
    series = pd.Series(np.arange(3.0, 22.0, 2.0), name="y")
    f = _fit(arch, series, {"horizon": 2}, target="y")
    np.testing.assert_allclose(f.forecast()["y"], [23.0, 25.0], atol=1.6)


@pytest.fixture
def two_series() -> pd.DataFrame:
    x1 = np.arange(10.0, 100.0, 10.0)
    x2 = x1 + 5
    return pd.DataFrame({"x1": x1, "x2": x2, "total": x1 + x2})


@pytest.mark.parametrize("arch", TOY_ARCHITECTURES)
def test_two_inputs_whose_sum_is_the_target(arch, two_series):
    f = _fit(arch, two_series, {"target_history": False}, target="total", features=["x1", "x2"])
    assert f.forecast(1)["total"].iloc[0] == pytest.approx(205.0, rel=0.05)


@pytest.mark.parametrize("arch", TOY_ARCHITECTURES)
def test_three_parallel_series(arch, two_series):
    f = _fit(arch, two_series, target="x1,x2,total")
    np.testing.assert_allclose(
        f.forecast(1).iloc[0, 1:].to_numpy(float), [100, 105, 205], rtol=0.05
    )
