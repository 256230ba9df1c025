"""Prediction intervals by split-conformal calibration on held-out residuals.

For each forecast step (and target) the absolute errors of forecasts made on the validation
part — which the weights never trained on — give a quantile ``q``; the interval is then
``forecast ± q``. With ``n`` residuals the quantile is the ``ceil((n + 1) * level)``-th
smallest, which covers a new point with probability at least ``level`` when errors are
exchangeable (Vovk et al.; Lei et al., 2018).

>>> import numpy as np
>>> conformal_quantile(np.arange(1.0, 20.0)[:, None], level=0.9).tolist()
[18.0]
"""

from __future__ import annotations

import math

import numpy as np

METHOD = (
    "split conformal: absolute validation residuals, one quantile per step and target; "
    "lower bounds stop at 0 for a target never below 0 in training"
)


def conformal_quantile(residuals: np.ndarray, level: float) -> np.ndarray:
    """Quantile of absolute residuals along axis 0, ignoring NaN; NaN where too few.

    Args:
        residuals: Absolute errors, shape (N, ...); NaN marks a missing one.
        level: Nominal coverage in (0, 1).

    Returns:
        Half-widths of shape (...).
    """
    r = np.sort(np.abs(residuals), axis=0)  # NaN sorts last
    n = np.sum(~np.isnan(r), axis=0)
    rank = np.ceil((n + 1) * level).astype(int)  # 1-based
    ok = rank <= n
    index = np.clip(rank - 1, 0, r.shape[0] - 1)
    q = np.take_along_axis(r, index[None], axis=0)[0]
    return np.where(ok, q, np.nan)


def floors(train: np.ndarray) -> np.ndarray:
    """The lowest value each target's bounds may take (C,), from its training rows (T, C):
    0 where none of them is below 0 (counts, sales, energy: an interval of such a series
    should not reach into values it cannot take), -inf elsewhere. NaN rows are ignored.

    >>> floors(np.array([[0.0, -1.0], [3.0, np.nan]])).tolist()
    [0.0, -inf]
    """
    train = np.asarray(train, dtype=np.float64)
    if len(train) == 0:
        return np.full(train.shape[1:], -np.inf)
    low = np.fmin.reduce(train, axis=0)  # NaN only if all NaN
    return np.where(low >= 0, 0.0, -np.inf)


def bounds(center: np.ndarray, half: np.ndarray, floor: np.ndarray):
    """Lower and upper bounds ``center -/+ half``, the lower one raised to ``floor``
    (broadcast on the last axis, the targets) but never above the forecast itself; NaN stays
    NaN. A floor the series never went under in training keeps every new value of it inside
    that ``center - half`` kept, so coverage holds.

    >>> center, half = np.array([[1.0, 1.0, -1.0]]), np.array([[3.0, 3.0, 3.0]])
    >>> lo, hi = bounds(center, half, np.array([0.0, -np.inf, 0.0]))
    >>> lo.tolist(), hi.tolist()
    ([[0.0, -2.0, -1.0]], [[4.0, 4.0, 2.0]])
    """
    return np.maximum(center - half, np.minimum(floor, center)), center + half


def floor_quantiles(forecasts: np.ndarray, levels, floor: np.ndarray) -> np.ndarray:
    """Quantile forecasts (..., C, Q) with those below the median raised to the targets'
    ``floor`` (C,) but never above the median, as :func:`bounds` raises a lower bound; the
    order of the quantiles holds.

    >>> f = np.array([[[-2.0, 1.0, 3.0], [-2.0, -1.0, 3.0]]])  # two targets; 0.1, 0.5, 0.9
    >>> floor_quantiles(f, (0.1, 0.5, 0.9), np.array([0.0, 0.0])).tolist()
    [[[0.0, 1.0, 3.0], [-1.0, -1.0, 3.0]]]
    """
    median = forecasts[..., list(levels).index(0.5)]
    return np.maximum(forecasts, np.minimum(floor, median)[..., None])


def interval_scores(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> dict:
    """Empirical coverage (share of points inside, in %) and mean width, where defined."""
    defined = ~(np.isnan(lower) | np.isnan(upper))
    if not defined.any():
        return {"coverage": None, "width": None, "points": 0}
    a, lo, hi = actual[defined], lower[defined], upper[defined]
    return {
        "coverage": float(100 * np.mean((a >= lo) & (a <= hi))),
        "width": float(np.mean(hi - lo)),
        "points": int(defined.sum()),
    }


QUANTILE_METHOD = "the network's outer quantiles, trained on the pinball loss"


def quantile_scores(actual: np.ndarray, forecasts: np.ndarray, levels) -> dict:
    """How well quantile forecasts (N, S, C, Q) of ``actual`` (N, S, C) hold: the interval
    between the outer two (nominal coverage their difference), the share of actual values
    below each quantile (ideally the quantile itself), and the mean pinball loss.

    >>> a = np.arange(100.0).reshape(100, 1, 1)
    >>> f = np.broadcast_to([[[[9.5, 49.5, 89.5]]]], (100, 1, 1, 3))
    >>> out = quantile_scores(a, f, (0.1, 0.5, 0.9))
    >>> out["nominal"], out["one_step"]["coverage"], out["one_step"]["below"]
    (80.0, 80.0, [10.0, 50.0, 90.0])
    """
    q = np.asarray(levels, dtype=np.float64)
    error = actual[..., None] - forecasts
    pinball = np.maximum(q * error, (q - 1) * error)
    return {
        "levels": [float(v) for v in q],
        "method": QUANTILE_METHOD,
        "nominal": round(float(100 * (q[-1] - q[0])), 10),
        "one_step": {
            **interval_scores(actual, forecasts[..., 0], forecasts[..., -1]),
            "below": [float(100 * np.mean(actual < forecasts[..., k])) for k in range(len(q))],
            "pinball": float(np.mean(pinball)),
        },
    }


def minimum_residuals(level: float) -> int:
    """Fewest residuals that give a finite quantile at ``level``."""
    return math.ceil(level / (1 - level) - 1e-9)
