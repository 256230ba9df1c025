import numpy as np
import pytest

from rnncast.errors import ConfigError
from rnncast.evaluation.modes import roll_forward


def _echo_last(x):
    """A 'model' that predicts every step as the last input value of column 0."""
    return np.repeat(x[:, -1:, :1], 2, axis=1)  # (B, H=2, C=1)


def test_recursive_feeds_its_own_predictions():
    values = np.arange(10.0)[:, None]
    out = roll_forward(
        values, start=6, steps=4, predict=_echo_last, lookback=3, horizon=2, inputs=[0], targets=[0]
    )
    assert out.ravel().tolist() == [5.0, 5.0, 5.0, 5.0]  # never sees rows 6.. of the data


def test_recursive_never_reads_future_targets():
    values = np.arange(10.0)[:, None]
    spoiled = values.copy()
    spoiled[6:] = 1e9
    a = roll_forward(values, 6, 4, _echo_last, 3, 2, [0], [0])
    b = roll_forward(spoiled, 6, 4, _echo_last, 3, 2, [0], [0])
    assert np.array_equal(a, b)


def test_features_beyond_the_data_are_refused():
    values = np.zeros((10, 2))
    with pytest.raises(ConfigError, match="needs future values of the feature columns"):
        roll_forward(values, 10, 5, _echo_last, 3, 2, inputs=[0, 1], targets=[1])
