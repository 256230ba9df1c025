import json

import numpy as np
import pytest

from rnncast.data.scaling import Scaler
from rnncast.errors import NotFittedError


@pytest.mark.parametrize("kind", ["minmax", "standard", "none"])
def test_inverse_of_target_is_exact_with_other_columns(kind):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(50, 3)) * [1, 1000, 0.01] + [0, 5e4, 3]
    s = Scaler(kind).fit(values[:30])
    scaled = s.transform(values)
    for col in range(3):
        np.testing.assert_allclose(
            s.inverse(scaled[:, col], column=col), values[:, col], rtol=1e-12
        )


def test_minmax_maps_training_range_to_unit_interval():
    values = np.array([[2.0], [4.0], [6.0], [100.0]])
    s = Scaler("minmax").fit(values[:3])
    assert s.transform(values).ravel().tolist() == [0.0, 0.5, 1.0, 24.5]


def test_constant_column_does_not_divide_by_zero():
    s = Scaler("standard").fit(np.ones((5, 1)))
    assert np.isfinite(s.transform(np.full((2, 1), 3.0))).all()


def test_state_round_trips_through_json_exactly():
    s = Scaler("standard").fit(np.random.default_rng(0).normal(size=(20, 2)))
    back = Scaler.from_dict(json.loads(json.dumps(s.to_dict())))
    assert np.array_equal(back.shift_, s.shift_) and np.array_equal(back.scale_, s.scale_)


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        Scaler().transform(np.ones((1, 1)))


def test_the_mase_scaler_divides_by_the_seasonal_naive_error():
    """Scaled by the training rows' seasonal naive MAE (no shift): an absolute error in
    scaled units is the error's MASE."""
    rows = np.array([[1.0, 10.0], [2.0, 10.0], [4.0, 10.0], [7.0, 10.0], [11.0, 10.0]])
    s = Scaler("mase", season=2).fit(rows)
    np.testing.assert_allclose(s.shift_[0], [0.0, 0.0])
    np.testing.assert_allclose(s.scale_[0], [(3 + 5 + 7) / 3, 1.0])  # a flat column: 1
    restored = Scaler.from_dict(s.to_dict())
    np.testing.assert_allclose(restored.inverse(s.transform(rows)[:, 0], 0), rows[:, 0])
