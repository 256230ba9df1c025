"""Scoring is a pure function of arrays: known forecasts give known metrics."""

import numpy as np
import pytest

from rnncast.data.split import Split
from rnncast.errors import DataError
from rnncast.evaluation.scoring import one_step_origins, score

Y = (10 + np.arange(48.0))[:, None]  # a straight line: tomorrow = today + 1
SPLIT = Split(30, 6, 12)  # test rows 36..47
ORIGINS = np.arange(36, 48)


def test_a_perfect_forecast_scores_zero_beside_the_baselines():
    out = score(Y, SPLIT, 4, (1,), ["y"], ORIGINS, Y[ORIGINS][:, None], Y[36:])
    one = out["test"]["one_step"]
    assert one["model"]["rmse"] == 0 and one["naive"]["rmse"] == 1
    assert one["seasonal_naive"]["rmse"] == 4  # one season (4 rows) behind on a slope of 1
    assert out["skill_rmse"] == 1
    rec = out["test"]["recursive"]
    assert rec["model"]["rmse"] == 0  # the naive forecast stays at the last training value
    np.testing.assert_allclose(rec["naive"]["mae"], np.mean(np.arange(1, 13)))
    assert "recursive_note" not in out and "interval" not in out


def test_mase_is_scaled_by_the_training_rows_only():
    forecast = Y[ORIGINS][:, None] + 2.0  # off by 2 everywhere
    out = score(Y, SPLIT, 1, (1,), ["y"], ORIGINS, forecast, None)
    assert out["test"]["one_step"]["model"]["mase"] == pytest.approx(2.0)  # train steps are 1
    assert out["test"]["recursive"] is None and out["skill_rmse_recursive"] is None
    assert out["recursive_note"].startswith("not scored")


def test_several_steps_are_scored_step_by_step():
    steps = (1, 3)
    origins = one_step_origins(SPLIT, len(Y), lookback=5, max_step=3)
    assert origins.tolist() == list(range(36, 46))  # the last window must reach step 3
    actual = Y[origins[:, None] + np.array([0, 2])]  # (N, 2, 1)
    out = score(Y, SPLIT, 4, steps, ["y"], origins, actual + [[[0.0], [3.0]]], None)
    by_step = out["test"]["one_step"]["by_step"]
    assert [s["step"] for s in by_step] == [1, 3]
    assert by_step[0]["model"]["rmse"] == 0 and by_step[1]["model"]["rmse"] == 3
    assert by_step[1]["naive"]["rmse"] == 3  # three steps behind the line


def test_intervals_report_the_coverage_of_the_given_half_widths():
    point = Y[ORIGINS][:, None] + np.where(ORIGINS % 2, 1.0, 3.0)[:, None, None]
    interval = {"level": 0.8, "one_step": np.array([[2.0]])}
    out = score(Y, SPLIT, 4, (1,), ["y"], ORIGINS, point, None, interval)
    block = out["interval"]
    assert block["level"] == 0.8 and block["one_step"]["coverage"] == 50.0
    assert block["one_step"]["width"] == 4.0 and block["one_step"]["points"] == 12


def test_a_test_part_shorter_than_the_horizon_has_no_origins():
    with pytest.raises(DataError, match="shorter than `horizon`"):
        one_step_origins(Split(30, 6, 2), 38, lookback=5, max_step=3)


def test_metrics_stay_bounded_for_a_long_test_part():
    """A free-running forecast of 5,000 test rows keeps its overall scores exact but lists
    only the first 1,000 steps one by one, and says so."""
    y = np.sin(np.arange(6000.0) / 10)[:, None]
    split = Split(900, 100, 5000)
    origins = np.arange(1000, 6000)
    out = score(y, split, 63, (1,), ["y"], origins, y[origins][:, None], y[1000:] + 0.5)
    rec = out["test"]["recursive"]
    assert len(rec["by_step"]) == 1000 and rec["by_step"][-1]["step"] == 1000
    assert rec["by_step_note"] == "the first 1,000 of 5,000 steps"
    assert rec["model"]["mae"] == pytest.approx(0.5)  # over every step, not only those listed
    assert "by_step_note" not in out["test"]["one_step"]
