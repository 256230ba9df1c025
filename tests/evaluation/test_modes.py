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


def test_origins_with_their_own_steps_leave_the_batch_when_done():
    """Several origins with a number of steps each give what each gives alone, and the model
    sees only the windows of origins that still have rows to forecast."""
    values = np.arange(40.0)[:, None] % 7
    seen = []

    def predict(x, rows=None):
        if rows is not None:
            seen.append(rows.tolist())
        return np.stack([x[:, -1:, 0] + x[:, -2:-1, 0], x[:, -1:, 0] * 0.5], axis=1)  # (B, 2, 1)

    starts, steps = np.array([5, 17, 30]), np.array([5, 2, 8])
    out = roll_forward(values, starts, steps, predict, 3, 2, [0], [0])
    assert seen == [[0, 1, 2], [0, 2], [0, 2], [2]]  # 4 blocks of 2 steps; 17 done after 1
    for k in range(3):
        alone = roll_forward(values, starts[k], int(steps[k]), predict, 3, 2, [0], [0])
        assert np.array_equal(out[k, : steps[k]], alone)


def test_features_beyond_the_data_are_refused():
    values = np.zeros((10, 2))
    with pytest.raises(ConfigError, match="needs future values of the feature columns"):
        roll_forward(values, 10, 5, _echo_last, 3, 2, inputs=[0, 1], targets=[1])
