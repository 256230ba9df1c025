"""Scoring a fitted forecaster on its test part: both modes beside the baselines, and the
coverage of its intervals. Called by :meth:`rnncast.Forecaster.evaluate` after every fit, and
series by series for many series (:func:`rnncast.forecasting.panel.score_panel`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rnncast.data.prepare import PreparedData
from rnncast.data.split import Split
from rnncast.data.windows import origins_between
from rnncast.errors import DataError
from rnncast.evaluation.baselines import naive, seasonal_naive
from rnncast.evaluation.intervals import METHOD, interval_scores
from rnncast.evaluation.metrics import compare, mase_scale
from rnncast.evaluation.modes import MODES, check_history

if TYPE_CHECKING:
    from rnncast.forecasting.forecaster import Forecaster


def score(
    f: Forecaster, data: PreparedData, split: Split, recursive=None, one_step=None
) -> dict[str, Any]:
    """Metrics of the test part; ``recursive`` is its free-running forecast and ``one_step``
    its one-step forecasts (N, S, C) when already made (many series are forecast together)."""
    cfg = f.config_
    metrics: dict[str, Any] = {
        "test": None,
        "skill_rmse": None,
        "skill_rmse_recursive": None,
        "season": f.season_,
        "n_train": split.n_train,
        "n_val": split.n_val,
        "n_test": split.n_test,
        "strategy": f.strategy_,
        "steps": list(cfg.steps),
        "targets": list(data.targets),
        "modes": MODES,
    }
    if hasattr(f, "history_"):
        h = f.history_
        metrics.update(
            train_seconds=h.seconds,
            epochs_run=h.epochs_run,
            train_windows=h.train_windows,
            best_epoch=h.best_epoch,
            stop_reason=h.stop_reason,
        )
    if split.n_test == 0:
        return metrics
    check_history(split.test_start, cfg.lookback)
    y = data.frame.to_numpy()[:, f.targets_]  # (T, C)
    scales = [mase_scale(y[: split.n_train, c], f.season_) for c in range(y.shape[1])]
    test = {"one_step": _one_step(f, data, split, y, scales, one_step), "recursive": None}
    if cfg.contiguous:
        if recursive is None:
            recursive = f._recursive(data, split.test_start, split.n_test)
        test["recursive"] = _recursive(f, data, split, y, scales, recursive)
    else:
        metrics["recursive_note"] = "not scored: a set of horizon steps cannot be chained"
    metrics["test"] = test
    if cfg.interval is not None:
        metrics["interval"] = _intervals(f, data, split, y, recursive)
    for mode, key in (("one_step", "skill_rmse"), ("recursive", "skill_rmse_recursive")):
        if test[mode] is not None:
            naive_rmse = test[mode]["naive"]["rmse"]
            metrics[key] = 1 - test[mode]["model"]["rmse"] / naive_rmse if naive_rmse else None
    return metrics


def _intervals(f: Forecaster, data, split, y, recursive) -> dict[str, Any]:
    """Empirical coverage and mean width of the intervals on the test part, both modes."""
    cfg, n, level = f.config_, len(y), f.config_.interval
    origins = origins_between(split.test_start, n, cfg.lookback, cfg.max_step, n)
    actual = y[origins[:, None] + np.asarray(cfg.steps) - 1]  # (N, S, C)
    half = f._calibrate_one_step(data, split, level)  # (S, C)
    point = f._one_step(data, origins)
    out = {
        "level": level,
        "method": METHOD,
        "one_step": interval_scores(actual, point - half, point + half),
    }
    if cfg.contiguous:
        half = f._calibrate_recursive(data, split, level, split.n_test)  # (n_test, C)
        point = recursive
        out["recursive"] = interval_scores(y[split.test_start :], point - half, point + half)
    return out


def one_step_origins(f: Forecaster, split: Split, n: int) -> np.ndarray:
    """The origins of the one-step mode's test windows in a series of ``n`` rows."""
    cfg = f.config_
    origins = origins_between(split.test_start, n, cfg.lookback, cfg.max_step, n)
    if len(origins) == 0:
        raise DataError(f"The test part ({split.n_test} rows) is shorter than --horizon.")
    return origins


def _one_step(f: Forecaster, data, split, y, scales, model=None) -> dict[str, Any]:
    cfg = f.config_
    origins = one_step_origins(f, split, len(y))
    leads = np.asarray(cfg.steps) - 1
    forecasts = {
        "model": f._one_step(data, origins) if model is None else model,  # (N, S, C)
        "naive": naive(y, origins, cfg.max_step)[:, leads],
        "seasonal_naive": seasonal_naive(y, origins, cfg.max_step, f.season_)[:, leads],
    }
    actual = y[origins[:, None] + leads]  # (N, S, C)
    return compare(actual, forecasts, scales, list(cfg.steps), list(data.targets))


def _recursive(f: Forecaster, data, split, y, scales, forecast) -> dict[str, Any]:
    start, steps = split.test_start, split.n_test
    origin = np.array([start])
    forecasts = {
        "model": forecast[None],  # (steps, C) -> (1, steps, C)
        "naive": naive(y, origin, steps),
        "seasonal_naive": seasonal_naive(y, origin, steps, f.season_),
    }
    actual = y[start:][None]  # (1, steps, C)
    return compare(actual, forecasts, scales, list(range(1, steps + 1)), list(data.targets))
