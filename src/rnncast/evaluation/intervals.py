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

METHOD = "split conformal: absolute validation residuals, one quantile per step and target"


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


def minimum_residuals(level: float) -> int:
    """Fewest residuals that give a finite quantile at ``level``."""
    return math.ceil(level / (1 - level) - 1e-9)
