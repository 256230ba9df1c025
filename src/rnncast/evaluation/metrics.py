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
    out: dict = {name: _over_targets(actual, f, scales) for name, f in forecasts.items()}
    per_step = {n: _over_targets_by_step(actual, f, scales) for n, f in forecasts.items()}
    out["by_step"] = [
        {"step": int(step), **{n: per_step[n][k] for n in forecasts}}
        for k, step in enumerate(steps)
    ]
    if len(targets) > 1:
        out["by_target"] = {
            name: {n: scores(actual[..., c], f[..., c], scales[c]) for n, f in forecasts.items()}
            for c, name in enumerate(targets)
        }
    return out


def _over_targets(actual: np.ndarray, predicted: np.ndarray, scales: list) -> dict:
    per = [scores(actual[..., c], predicted[..., c], s) for c, s in enumerate(scales)]
    return _mean_over_targets(per)


def _mean_over_targets(per: list[dict]) -> dict:
    if len(per) == 1:
        return per[0]
    return {
        m: None if any(p[m] is None for p in per) else float(np.mean([p[m] for p in per]))
        for m in METRICS
    }


def _over_targets_by_step(actual: np.ndarray, predicted: np.ndarray, scales: list) -> list[dict]:
    """``_over_targets`` of every step column of (N, S, C) arrays, computed a step at a time
    only where needed: a recursive forecast of a long test part has hundreds of steps."""
    per_target = [
        steps_scores(actual[..., c], predicted[..., c], s) for c, s in enumerate(scales)
    ]  # C x S
    return [_mean_over_targets([t[k] for t in per_target]) for k in range(actual.shape[1])]


def steps_scores(actual: np.ndarray, predicted: np.ndarray, mase_scale: float | None) -> list:
    """:func:`scores` of each column of (N, S) arrays: the same numbers, computed together.

    >>> a, p = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[2.0, 2.0], [3.0, 6.0]])
    >>> steps_scores(a, p, 1.0) == [scores(a[:, k], p[:, k], 1.0) for k in range(2)]
    True
    """
    a = np.ascontiguousarray(np.asarray(actual, dtype=np.float64).T)  # (S, N): rows reduce
    p = np.ascontiguousarray(np.asarray(predicted, dtype=np.float64).T)  # like 1-D arrays
    if not (a != 0).all() or not (np.abs(a) + np.abs(p) > 0).all():
        return [scores(a[k], p[k], mase_scale) for k in range(len(a))]  # the masked metrics
    err = p - a
    rmse = np.sqrt(np.mean(err**2, axis=1))
    mae = np.mean(np.abs(err), axis=1)
    mape = 100 * np.mean(np.abs(err / a), axis=1)
    smape = 200 * np.mean(np.abs(err) / (np.abs(a) + np.abs(p)), axis=1)
    return [
        {
            "rmse": float(rmse[k]),
            "mae": float(mae[k]),
            "mape": float(mape[k]),
            "smape": float(smape[k]),
            "mase": float(mae[k]) / mase_scale if mase_scale else None,
        }
        for k in range(len(a))
    ]
