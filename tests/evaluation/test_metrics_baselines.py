import numpy as np
import pytest

from rnncast.errors import ConfigError
from rnncast.evaluation.baselines import infer_season, naive, seasonal_naive
from rnncast.evaluation.metrics import mase_scale, row_scores, scores


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


def test_row_scores_equal_scores_row_by_row():
    rng = np.random.default_rng(0)
    for k, r, m in [(1, 300, 1), (3, 37, 5), (2, 3, 1000)]:
        a, p = rng.normal(10, 3, size=(r, m)), rng.normal(10, 3, size=(k, r, m))
        scales = rng.uniform(0.5, 3, size=r).tolist()
        expected = [[scores(a[j], p[i, j], scales[j]) for j in range(r)] for i in range(k)]
        assert row_scores(a, p, scales) == expected
    a[1, 0] = 0.0  # a zero actual: MAPE skips it, as scores() does
    p[0, 2, :] = -a[2]  # sMAPE's denominator zero nowhere, but p = -a
    p[1, 2, 0], a[2, 0] = 0.0, 0.0  # and 0/0 in sMAPE: skipped
    expected = [[scores(a[j], p[i, j], None) for j in range(3)] for i in range(2)]
    assert row_scores(a, p, [None] * 3) == expected
