"""Scoring a test part: a pure function of arrays, the same for ``fit``, ``evaluate`` and
``compare``.

Given the actual values of a series, where its test part starts, and the forecasts of the
test part in both modes, :func:`score` returns the metrics of ``metrics.json``'s ``test``
block beside the naive and seasonal naive forecasts of exactly the same points.

>>> import numpy as np
>>> from rnncast.data.split import Split
>>> y = np.arange(40.0)[:, None]  # a straight line: tomorrow = today + 1
>>> origins = np.arange(30, 40)
>>> out = score(y, Split(25, 5, 10), 4, (1,), ["y"], origins, y[origins][:, None], y[30:])
>>> out["test"]["one_step"]["model"]["rmse"], out["test"]["one_step"]["naive"]["rmse"]
(0.0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnncast.data.split import Split
from rnncast.data.windows import origins_between
from rnncast.errors import DataError
from rnncast.evaluation.baselines import naive, seasonal_naive
from rnncast.evaluation.intervals import METHOD, bounds, floors, interval_scores
from rnncast.evaluation.metrics import compare, mase_scale

MAX_BY_STEP = 1_000  # steps of the free-running forecast scored one by one in metrics.json


def one_step_origins(split: Split, n: int, lookback: int, max_step: int) -> np.ndarray:
    """The origins of the one-step mode's test windows in a series of ``n`` rows."""
    origins = origins_between(split.test_start, n, lookback, max_step, n)
    if len(origins) == 0:
        raise DataError(f"The test part ({split.n_test} rows) is shorter than --horizon.")
    return origins


def score(
    y: np.ndarray,
    split: Split,
    season: int,
    steps: tuple[int, ...],
    targets: list[str],
    origins: np.ndarray,
    one_step: np.ndarray,
    recursive: np.ndarray | None,
    interval: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Metrics of the test part of one series, in original units, beside the naive and
    seasonal naive forecasts of the same points.

    Args:
        y: Every value of the targets (T, C).
        split: Where the validation and test parts start.
        season: Season of the seasonal naive forecast and of MASE's scale.
        steps: The forecast steps (1-based) of the one-step mode.
        targets: Names of the C targets.
        origins: First test row of each one-step window (N,).
        one_step: The model's forecasts (N, S, C) from the true history before each origin.
        recursive: The model's free-running forecast of the whole test part (n_test, C), or
            None where the steps cannot be chained.
        interval: Optional ``level`` with the half-widths ``one_step`` (S, C) and, with
            ``recursive``, ``recursive`` (n_test, C) of calibrated intervals.

    Returns:
        ``test`` (both modes: model, naive and seasonal naive, mean and by step),
        ``skill_rmse`` and ``skill_rmse_recursive`` (1 - RMSE / naive RMSE), and
        ``recursive_note`` or ``interval`` where they apply.
    """
    leads, start = np.asarray(steps) - 1, np.array([split.test_start])
    one = {
        "model": one_step,
        "naive": naive(y, origins, steps[-1])[:, leads],
        "seasonal_naive": seasonal_naive(y, origins, steps[-1], season)[:, leads],
    }
    rec = None
    if recursive is not None:
        rec = {
            "model": recursive,
            "naive": naive(y, start, split.n_test)[0],
            "seasonal_naive": seasonal_naive(y, start, split.n_test, season)[0],
        }
    test = mode_scores(y, split, season, steps, targets, origins, one, rec)
    out: dict[str, Any] = {"test": test}
    if recursive is None:
        out["recursive_note"] = "not scored: a set of horizon steps cannot be chained"
    for mode, key in (("one_step", "skill_rmse"), ("recursive", "skill_rmse_recursive")):
        out[key] = None
        if test[mode] is not None:
            naive_rmse = test[mode]["naive"]["rmse"]
            out[key] = 1 - test[mode]["model"]["rmse"] / naive_rmse if naive_rmse else None
    if interval is not None:
        out["interval"] = _intervals(y, split, steps, origins, one_step, recursive, interval)
    return out


def mode_scores(
    y: np.ndarray,
    split: Split,
    season: int,
    steps: tuple[int, ...],
    targets: list[str],
    origins: np.ndarray,
    one_step: dict[str, np.ndarray],
    recursive: dict[str, np.ndarray] | None,
) -> dict[str, Any]:
    """The metrics of several forecasters of one test part, mode by mode.

    Args:
        one_step: Name -> forecasts (N, S, C) from the true history before each origin.
        recursive: Name -> free-running forecasts of the whole test part (n_test, C), or
            None where none was made.

    Returns:
        ``{"one_step": {name: scores, ..., "by_step": [...]}, "recursive": ... or None}``,
        MASE scaled by the training rows of ``y`` (see
        :func:`rnncast.evaluation.metrics.compare`).
    """
    scales = [mase_scale(y[: split.n_train, c], season) for c in range(y.shape[1])]
    actual = y[origins[:, None] + np.asarray(steps) - 1]  # (N, S, C)
    out = {"one_step": compare(actual, one_step, scales, list(steps), list(targets))}
    out["recursive"] = None
    if recursive is not None:
        start, n = split.test_start, split.n_test
        paths = {name: forecast[None] for name, forecast in recursive.items()}  # (1, n, C)
        block = compare(y[start:][None], paths, scales, list(range(1, n + 1)), list(targets))
        if n > MAX_BY_STEP:  # metrics.json stays small whatever the length of the test part
            block["by_step"] = block["by_step"][:MAX_BY_STEP]
            block["by_step_note"] = f"the first {MAX_BY_STEP:,} of {n:,} steps"
        out["recursive"] = block
    return out


def _intervals(y, split, steps, origins, one_step, recursive, interval) -> dict[str, Any]:
    """Empirical coverage and mean width of the intervals on the test part, both modes."""
    actual = y[origins[:, None] + np.asarray(steps) - 1]  # (N, S, C)
    floor = floors(y[: split.n_train])  # as the forecasts' bounds are (forecasting.intervals)
    out = {
        "level": interval["level"],
        "method": METHOD,
        "one_step": interval_scores(actual, *bounds(one_step, interval["one_step"], floor)),
    }
    if recursive is not None:
        test = y[split.test_start :]
        lower, upper = bounds(recursive, interval["recursive"], floor)  # (n_test, C)
        out["recursive"] = interval_scores(test, lower, upper)
    return out
