"""Naive and seasonal-naive forecasts, and the season inferred from a frequency.

>>> import numpy as np
>>> y = np.arange(10.0)
>>> naive(y, origins=np.array([6]), horizon=2).tolist()
[[5.0, 5.0]]
>>> seasonal_naive(y, origins=np.array([6]), horizon=3, season=2).tolist()
[[4.0, 5.0, 4.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnncast.errors import ConfigError

_SEASON_BY_UNIT = {"B": 5, "D": 7, "W": 52, "M": 12, "SM": 24, "Q": 4, "Y": 1, "A": 1}


def naive(y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The last observed value before each origin, for every lead: shape (N, H)."""
    return np.repeat(y[origins - 1][:, None], horizon, axis=1)


def seasonal_naive(y: np.ndarray, origins: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The value one season before each target, never later than the origin: shape (N, H)."""
    leads = np.arange(horizon)
    back = season * ((leads // season) + 1)  # whole seasons, so the source is before the origin
    source = origins[:, None] + leads[None, :] - back[None, :]
    if source.min() < 0:
        raise ConfigError(
            f"The season ({season}) is longer than the history before the test part; "
            "give a smaller --season or a smaller test part."
        )
    return y[source]


def infer_season(freq: str | None) -> int:
    """Season length for a pandas frequency: 7 for daily, 5 business-daily, 12 monthly, 24 hourly.

    >>> [infer_season(f) for f in ("D", "MS", "h", "15min", None)]
    [7, 12, 24, 96, 1]
    """
    if freq is None:
        return 1
    offset = pd.tseries.frequencies.to_offset(freq)
    try:
        step = pd.Timedelta(offset)
    except ValueError:  # calendar offsets (months, quarters, years) have no fixed length
        step = None
    if step is not None and step < pd.Timedelta(days=1):
        return max(1, round(pd.Timedelta(days=1) / step))
    code = offset.rule_code.split("-")[0]
    name = code.rstrip("SE") or code
    name = {"BM": "M", "BQ": "Q", "BY": "Y", "BA": "A"}.get(name, name)
    season = _SEASON_BY_UNIT.get(name, 1)
    return max(1, season // max(1, offset.n)) if season > 1 else 1


def drift(y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
    """The line from the first value to the last before each origin, extended: (N, H, ...).

    >>> drift(np.array([1.0, 2.0, 3.0]), np.array([3]), 2).tolist()
    [[4.0, 5.0]]
    """
    last, first = y[origins - 1], y[0]
    slope = (last - first) / np.maximum(origins - 1, 1).reshape(-1, *([1] * (y.ndim - 1)))
    leads = np.arange(1, horizon + 1).reshape(1, -1, *([1] * (y.ndim - 1)))
    return last[:, None] + slope[:, None] * leads
