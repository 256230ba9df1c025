import numpy as np
import pytest

from rnncast.errors import ConfigError
from rnncast.evaluation.baselines import infer_season, naive, seasonal_naive
from rnncast.evaluation.metrics import mase_scale, scores, steps_scores


def test_perfect_forecast_scores_zero():
    y = np.array([1.0, 2.0, 3.0])
    assert scores(y, y, 1.0) == {"rmse": 0.0, "mae": 0.0, "mape": 0.0, "smape": 0.0, "mase": 0.0}


def test_undefined_metrics_are_none():
    s = scores(np.zeros(3), np.zeros(3), None)
    assert s["mape"] is None and s["smape"] is None and s["mase"] is None


def test_mase_scale_is_seasonal_difference():
    y = np.tile([1.0, 5.0], 10)
    assert mase_scale(y, season=2) is None  # perfectly seasonal: no error to scale by
    assert mase_scale(y, season=1) == 4.0


def test_seasonal_naive_never_looks_past_the_origin():
    y = np.arange(30.0)
    origins = np.array([12, 20])
    pred = seasonal_naive(y, origins, horizon=15, season=12)
    assert (pred < origins[:, None]).all()
    assert pred[0, :3].tolist() == [0.0, 1.0, 2.0] and pred[0, 12] == 0.0
    assert naive(y, origins, 2).tolist() == [[11.0, 11.0], [19.0, 19.0]]
    with pytest.raises(ConfigError, match="season .* is longer than the history"):
        seasonal_naive(y, np.array([5]), 1, season=12)


@pytest.mark.parametrize(
    "freq, season", [("D", 7), ("B", 5), ("MS", 12), ("ME", 12), ("QS", 4), ("h", 24), ("YS", 1)]
)
def test_infer_season(freq, season):
    assert infer_season(freq) == season


def test_steps_scores_equal_scores_column_by_column():
    rng = np.random.default_rng(0)
    for n, s in [(1, 300), (37, 5), (1000, 3)]:
        a, p = rng.normal(10, 3, size=(n, s)), rng.normal(10, 3, size=(n, s))
        assert steps_scores(a, p, 2.5) == [scores(a[:, k], p[:, k], 2.5) for k in range(s)]
    a[0, 0] = 0.0  # a zero actual: MAPE skips it, as scores() does
    assert steps_scores(a, p, None) == [scores(a[:, k], p[:, k], None) for k in range(3)]
