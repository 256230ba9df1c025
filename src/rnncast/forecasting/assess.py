"""A trained model on a test part: its forecasts in both modes, and their scores.

The forecasts are made here, by the :class:`~rnncast.forecasting.predictor.Predictor`; the
scores are computed by the pure :func:`rnncast.evaluation.scoring.score`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rnncast.config import FitConfig
from rnncast.data.prepared import PreparedData
from rnncast.data.split import Split
from rnncast.data.windows import origins_between
from rnncast.evaluation.intervals import floor_quantiles, floors, quantile_scores
from rnncast.evaluation.modes import MODES, check_history
from rnncast.evaluation.scoring import one_step_origins, score
from rnncast.forecasting import intervals
from rnncast.forecasting.predictor import Predictor
from rnncast.training.loop import History


def header(
    cfg: FitConfig, season: int, split: Split, strategy: str, targets, history: History | None
) -> dict[str, Any]:
    """The part of ``metrics.json`` that describes the run, before any score."""
    metrics: dict[str, Any] = {
        "test": None,
        "skill_rmse": None,
        "skill_rmse_recursive": None,
        "season": season,
        "n_train": split.n_train,
        "n_val": split.n_val,
        "n_test": split.n_test,
        "strategy": strategy,
        "steps": list(cfg.steps),
        "targets": list(targets),
        "modes": MODES,
    }
    if history is not None:
        metrics.update(
            train_seconds=history.seconds,
            epochs_run=history.epochs_run,
            train_windows=history.train_windows,
            best_epoch=history.best_epoch,
            stop_reason=history.stop_reason,
            train_processes=history.processes,
        )
    return metrics


def score_series(
    p: Predictor,
    cfg: FitConfig,
    season: int,
    data: PreparedData,
    split: Split,
    history: History | None,
    recursive: np.ndarray | None = None,
    one_step: np.ndarray | None = None,
) -> dict[str, Any]:
    """``metrics.json`` of one series; ``recursive`` (n_test, C) and ``one_step``
    (N, S, C) are its test forecasts when already made (many series are forecast
    together)."""
    metrics = header(cfg, season, split, p.strategy, data.targets, history)
    if data.known:
        metrics["known_inputs"] = known_note(data.known)
    if split.n_test == 0:
        return metrics
    check_history(split.test_start, p.history)
    y = data.frame.to_numpy()[:, p.targets]  # (T, C)
    origins = one_step_origins(split, len(y), p.history, p.max_step)
    if one_step is None:
        one_step = p.one_step(data, origins)
    if p.free_running and recursive is None:
        recursive = p.recursive(data, split.test_start, split.n_test)
    interval = None
    if cfg.interval is not None:
        interval = calibrate(p, data, split, cfg.interval, split.n_test)
    metrics.update(
        score(y, split, season, p.steps, list(data.targets), origins, one_step, recursive, interval)
    )
    if p.quantiles:
        actual = y[origins[:, None] + np.asarray(p.steps) - 1]
        floor = floors(y[: split.n_train])  # as the forecast's quantiles are (future.py)
        forecasts = floor_quantiles(p.quantile_forecasts(data, origins), p.quantiles, floor)
        metrics["quantiles"] = quantile_scores(actual, forecasts, p.quantiles)
    if p.contiguous and p.past:
        metrics["recursive_note"] = PAST_NOTE
    return metrics


PAST_NOTE = (
    "not scored: past covariates (--features) are known up to the forecast origin only, so "
    "no forecast runs free over the whole test part; give them as --known columns if their "
    "future is known"
)


def known_note(known) -> str:
    """What the scores of a model with inputs known ahead mean, beside the mode labels."""
    return (
        f"known inputs ({', '.join(known)}) take their recorded values over the test part, "
        "as they would have been known in advance"
    )


def calibrate(p: Predictor, data: PreparedData, split: Split, level: float, leads: int):
    """The half-widths of intervals at ``level``: one-step (S, C) and, where the steps
    chain, free-running for leads 1..``leads`` (leads, C)."""
    out = {"level": level, "one_step": intervals.one_step_half_widths(p, data, split, level)}
    if p.free_running:
        out["recursive"] = intervals.recursive_half_widths(p, data, split, level, leads)
    return out


def test_forecasts(p: Predictor, data: PreparedData, split: Split) -> dict[str, Any]:
    """The model's forecasts of the test part in original units, for comparisons.

    Returns:
        ``origins`` (N,) of the one-step mode, ``actual`` and ``one_step`` (N, S, C);
        ``recursive_actual`` and, with contiguous steps, ``recursive`` (n_test, C);
        ``history`` (T, C), every target value of the data, and its ``split``.
    """
    n = len(data.frame)
    y = data.frame.to_numpy()[:, p.targets]
    origins = origins_between(split.test_start, n, p.history, p.max_step, n)
    out = {
        "origins": origins,
        "actual": y[origins[:, None] + np.asarray(p.steps) - 1],
        "one_step": p.one_step(data, origins),
        "recursive": None,
        "recursive_actual": y[split.test_start :],
        "history": y,
        "split": split,
    }
    if p.free_running and split.n_test:
        out["recursive"] = p.recursive(data, split.test_start, split.n_test)
    return out


def predictions(p: Predictor, data: PreparedData, split: Split, c: int) -> pd.DataFrame:
    """Actual values of target ``c`` beside its one-step predictions at the first forecast
    step (train, validation and test) and the free-running forecast of the test part,
    indexed by the data's dates in its own zone."""
    n, lead = len(data.frame), p.steps[0]
    frame = pd.DataFrame({"actual": data.frame.iloc[:, p.targets[c]]})
    frame.index = data.local(frame.index)
    frame["part"] = np.repeat(["train", "val", "test"], list(split))
    origins = origins_between(0, n, p.history, p.max_step, n)
    frame["one_step"] = np.nan
    col = frame.columns.get_loc("one_step")
    frame.iloc[origins + lead - 1, col] = p.one_step(data, origins)[:, 0, c]
    frame["recursive"] = np.nan
    if split.n_test and p.free_running:
        rec = p.recursive(data, split.test_start, split.n_test)[:, c]
        frame.iloc[split.test_start :, frame.columns.get_loc("recursive")] = rec
    return frame
