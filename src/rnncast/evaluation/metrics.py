"""Point-forecast error metrics, computed in original units.

>>> import numpy as np
>>> s = scores(np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0]), mase_scale=1.0)
>>> {k: round(v, 4) for k, v in s.items()}
{'rmse': 1.291, 'mae': 1.0, 'mape': 33.3333, 'smape': 35.5556, 'mase': 1.0}
"""

from __future__ import annotations

import numpy as np

METRICS = ("rmse", "mae", "mape", "smape", "mase")


def scores(actual: np.ndarray, predicted: np.ndarray, mase_scale: float | None) -> dict:
    """RMSE, MAE, MAPE (%), sMAPE (%) and MASE of ``predicted`` against ``actual``.

    MAPE skips zero actuals; a metric that is undefined for these numbers is None.
    """
    a = np.asarray(actual, dtype=np.float64).ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    err = p - a
    mae = float(np.mean(np.abs(err)))
    nonzero = a != 0
    denom = np.abs(a) + np.abs(p)
    both = denom > 0
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": mae,
        "mape": float(100 * np.mean(np.abs(err[nonzero] / a[nonzero]))) if nonzero.any() else None,
        "smape": float(200 * np.mean(np.abs(err[both]) / denom[both])) if both.any() else None,
        "mase": mae / mase_scale if mase_scale else None,
    }


def mase_scale(train: np.ndarray, season: int) -> float | None:
    """Mean absolute ``season``-step difference of the training target (the MASE denominator).

    Falls back to one-step differences when the training part is shorter than two seasons.

    >>> mase_scale(np.array([1.0, 2.0, 4.0, 7.0]), season=1)
    2.0
    """
    y = np.asarray(train, dtype=np.float64)
    lag = season if len(y) > 2 * season else 1
    if len(y) <= lag:
        return None
    scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
    # An exactly repeating series leaves only rounding noise: no scale to measure against.
    return scale if scale > 1e-9 * max(float(np.max(np.abs(y))), 1e-300) else None


def compare(
    actual: np.ndarray,
    forecasts: dict[str, np.ndarray],
    scales: list[float | None],
    steps: list[int],
    targets: list[str],
) -> dict:
    """Score several forecasts of the same points: overall, per forecast step, per target.

    Args:
        actual: True values (N, S, C) in original units.
        forecasts: Name -> forecasts of the same shape.
        scales: MASE denominator of each target.
        steps: The forecast step (lead) of each of the S columns.
        targets: Target names (C). With several targets the overall numbers are the mean over
            targets of each metric (each in its own units); ``by_target`` gives them one by one.

    Returns:
        ``{name: scores, ..., "by_step": [{"step": s, name: scores, ...}, ...]}`` and
        ``by_target`` when C > 1.
    """
    names = list(forecasts)
    a = np.asarray(actual, dtype=np.float64)
    p = np.stack([np.asarray(forecasts[name], dtype=np.float64) for name in names])
    k, (n, s, c) = len(names), a.shape
    # Each target's points in the order scores() ravels them: rows (C, N * S) ...
    whole = row_scores(
        a.transpose(2, 0, 1).reshape(c, n * s), p.transpose(0, 3, 1, 2).reshape(k, c, n * s), scales
    )
    # ... and each target's step columns: rows (C * S, N).
    per = row_scores(
        a.transpose(2, 1, 0).reshape(c * s, n),
        p.transpose(0, 3, 2, 1).reshape(k, c * s, n),
        [scale for scale in scales for _ in range(s)],
    )
    out: dict = {name: _mean_over_targets(whole[i]) for i, name in enumerate(names)}
    out["by_step"] = [
        {
            "step": int(step),
            **{
                name: _mean_over_targets([per[i][t * s + j] for t in range(c)])
                for i, name in enumerate(names)
            },
        }
        for j, step in enumerate(steps)
    ]
    if len(targets) > 1:
        out["by_target"] = {
            target: {name: whole[i][t] for i, name in enumerate(names)}
            for t, target in enumerate(targets)
        }
    return out


def _mean_over_targets(per: list[dict]) -> dict:
    if len(per) == 1:
        return per[0]
    return {
        m: None if any(p[m] is None for p in per) else float(np.mean([p[m] for p in per]))
        for m in METRICS
    }


def row_scores(actual: np.ndarray, predicted: np.ndarray, mase_scales: list) -> list[list[dict]]:
    """:func:`scores` of every row of several forecasts at once: the same numbers, bit for bit.

    Args:
        actual: (R, M): R rows of M points.
        predicted: (K, R, M): K forecasts of them.
        mase_scales: The MASE denominator of each row.

    Returns:
        ``out[k][r] == scores(actual[r], predicted[k, r], mase_scales[r])``.

    >>> a, p = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[[2.0, 2.0], [3.0, 6.0]]])
    >>> out = row_scores(a, p, [1.0, None])
    >>> out[0] == [scores(a[0], p[0, 0], 1.0), scores(a[1], p[0, 1], None)]
    True
    """
    a = np.ascontiguousarray(actual, dtype=np.float64)  # rows reduce like 1-D arrays
    p = np.ascontiguousarray(predicted, dtype=np.float64)
    err = p - a
    denom = np.abs(a) + np.abs(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        rmse = np.sqrt(np.mean(err**2, axis=2)).tolist()
        mae = np.mean(np.abs(err), axis=2).tolist()
        mape = (100 * np.mean(np.abs(err / a), axis=2)).tolist()
        smape = (200 * np.mean(np.abs(err) / denom, axis=2)).tolist()
    masked = ((a == 0).any(axis=1) | (denom <= 0).any(axis=2)).tolist()  # (K, R)
    return [
        [
            scores(a[r], p[i, r], scale)  # zero actuals: MAPE and sMAPE skip points
            if masked[i][r]
            else {
                "rmse": rmse[i][r],
                "mae": mae[i][r],
                "mape": mape[i][r],
                "smape": smape[i][r],
                "mase": mae[i][r] / scale if scale else None,
            }
            for r, scale in enumerate(mase_scales)
        ]
        for i in range(len(p))
    ]
