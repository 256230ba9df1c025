"""Prediction intervals of a trained model: conformal half-widths calibrated on the
validation part (see :mod:`rnncast.evaluation.intervals` for the method), in both modes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnncast.config import FitConfig
from rnncast.data.prepared import PreparedData
from rnncast.data.split import Split
from rnncast.data.windows import origins_between
from rnncast.errors import ConfigError
from rnncast.evaluation.intervals import bounds, conformal_quantile, minimum_residuals
from rnncast.forecasting.predictor import Predictor


def check_calibration(split: Split, cfg: FitConfig) -> None:
    """Intervals need enough validation windows to calibrate on."""
    need = minimum_residuals(cfg.interval if cfg.interval is not None else 0.9)
    windows = split.n_val - cfg.max_step + 1
    if windows < need:
        raise ConfigError(
            f"An interval at level {cfg.interval} is calibrated on the validation part, which "
            f"gives {max(windows, 0)} windows here; it needs at least {need}. Give a larger "
            "--val-size or a lower --interval."
        )


def one_step_half_widths(p: Predictor, data: PreparedData, split: Split, level: float):
    """Half-widths (S, C) from one-step forecasts made on the validation part."""
    n = len(data.frame)
    origins = origins_between(split.val_start, split.test_start, p.history, p.max_step, n)
    y = data.frame.to_numpy()[:, p.targets]
    residuals = p.one_step(data, origins) - y[origins[:, None] + np.asarray(p.steps) - 1]
    return conformal_quantile(residuals, level)


def recursive_half_widths(p: Predictor, data: PreparedData, split: Split, level: float, leads):
    """Half-widths (K, C) for leads 1..K of forecasts fed their own predictions, from
    every validation origin (a lead that would reach the test part is left out)."""
    y = data.frame.to_numpy()[:, p.targets]
    origins = np.arange(max(split.val_start, p.history), split.test_start)
    forecasts = p.recursive(data, origins, leads)  # (B, K, C), original units
    rows = origins[:, None] + np.arange(leads)  # (B, K)
    residuals = forecasts - y[np.minimum(rows, len(y) - 1)]
    residuals[rows >= split.test_start] = np.nan  # never calibrate on the test part
    return conformal_quantile(residuals, level)


def bounds_note(frame: pd.DataFrame) -> str | None:
    """One line saying which forecast steps have no interval (a lead beyond what the
    validation part can calibrate), or None when every step has one."""
    lower = [c for c in frame.columns if c == "lower" or str(c).endswith("_lower")]
    if not lower:
        return None
    missing = np.flatnonzero(frame[lower].isna().any(axis=1).to_numpy())
    if not len(missing):
        return None
    first, last = int(missing[0]) + 1, int(missing[-1]) + 1
    steps = f"Step {first}" if first == last else f"Steps {first}-{last}"
    return (
        f"{steps} of the forecast have no interval: the validation part calibrates "
        f"forecasts only {first - 1} steps ahead; a larger --val-size calibrates further."
    )


def add_bounds(
    frame: pd.DataFrame, targets: list[str], values: np.ndarray, half, floor: np.ndarray
) -> None:
    """Insert lower and upper bounds after each target column, none below the target's
    ``floor`` (see :func:`rnncast.evaluation.intervals.floors`)."""
    lows, highs = bounds(values, half, floor)
    for c, name in enumerate(targets):
        lower, upper = (
            ("lower", "upper") if len(targets) == 1 else (f"{name}_lower", f"{name}_upper")
        )
        at = frame.columns.get_loc(name) + 1
        frame.insert(at, lower, lows[:, c])
        frame.insert(at + 1, upper, highs[:, c])
