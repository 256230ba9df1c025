import json

import numpy as np
import pandas as pd
import pytest

from rnncast.errors import DataError
from rnncast.studies.explore import explore


def test_seasonal_series_with_a_trend(seasonal_frame):
    frame = seasonal_frame.assign(y=seasonal_frame["y"] + np.arange(120) * 0.5)
    e = explore(frame)
    assert e.season == 12 and e.freq == "MS" and e.target == "y"
    assert e.seasonal_strength > 0.9 and e.trend_strength > 0.9 and e.trend_direction == "upward"
    assert e.acf[12] > 0.5  # one season back looks alike
    words = " ".join(e.findings())
    assert "Strong seasonality with period 12" in words and "Strong upward trend" in words


def test_random_walk_is_called_one():
    rng = np.random.default_rng(1)
    walk = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=400, freq="D"),
            "y": np.cumsum(rng.normal(size=400)),
        }
    )
    e = explore(walk)
    assert "random walk" in " ".join(e.findings())
    assert e.seasonal_strength < 0.3


def test_missing_values_are_counted_per_column(daily_frame):
    daily_frame.loc[[3, 4], "x"] = np.nan
    e = explore(daily_frame, target="y")
    assert e.missing == {"y": 0, "x": 2}
    assert json.loads(json.dumps(e.summary()))["missing"]["x"] == 2


def test_bad_target(daily_frame):
    with pytest.raises(DataError, match="'date' is not a numeric column"):
        explore(daily_frame, target="date")
