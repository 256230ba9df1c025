import numpy as np

from rnncast.data.windows import Windows, origins_between


def test_windows_match_a_hand_built_loop():
    values = np.arange(40, dtype=np.float32).reshape(20, 2)
    origins = origins_between(0, 20, lookback=4, horizon=3, n_rows=20)
    w = Windows(values, 4, 3, inputs=[0, 1], targets=[1], origins=origins)
    x, y = w.arrays()
    for k, t in enumerate(origins):
        np.testing.assert_array_equal(x[k], values[t - 4 : t])
        np.testing.assert_array_equal(y[k], values[t : t + 3, [1]])
    assert x.shape == (len(origins), 4, 2) and y.shape == (len(origins), 3, 1)


def test_origins_keep_targets_inside_the_part():
    origins = origins_between(10, 15, lookback=3, horizon=2, n_rows=30)
    assert origins.tolist() == [10, 11, 12, 13]
    assert origins_between(0, 4, lookback=3, horizon=2, n_rows=30).size == 0


def test_views_share_memory_with_the_series():
    values = np.zeros((100, 1), dtype=np.float32)
    w = Windows(values, 10, 1, [0], [0], origins_between(0, 100, 10, 1, 100))
    assert np.shares_memory(w._past, values)  # the window table is a view, not a copy


def test_a_chosen_set_of_steps():
    values = np.arange(30, dtype=np.float32)[:, None]
    origins = origins_between(0, 30, lookback=4, horizon=7, n_rows=30)
    x, y = Windows(values, 4, (1, 3, 7), [0], [0], origins).arrays()
    assert y.shape == (len(origins), 3, 1)
    assert y[0, :, 0].tolist() == [origins[0] + 0, origins[0] + 2, origins[0] + 6]
