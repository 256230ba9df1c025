"""The two evaluation modes, always labelled and never mixed.

* ``one_step``: every forecast is made from the true history (as notebooks usually do); for a
  horizon H each origin in the test part forecasts H steps, all scored.
* ``recursive``: one forecast over the whole test part from its start; after each block of H
  steps the model is fed its own predictions as history, as in a real forecast.

``predict`` is any callable mapping scaled windows (B, L, F) to scaled forecasts (B, H, C).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rnncast.errors import ConfigError

Predict = Callable[[np.ndarray], np.ndarray]

MODES = {
    "one_step": "each forecast is fed the true history up to its origin",
    "recursive": "one forecast over the whole test part, fed its own earlier predictions",
}


def roll_forward(
    values: np.ndarray,
    start: int,
    steps: int,
    predict: Predict,
    lookback: int,
    horizon: int,
    inputs: Sequence[int],
    targets: Sequence[int],
) -> np.ndarray:
    """Forecast ``steps`` rows from row ``start`` by feeding predictions back in.

    Args:
        values: Scaled series (T, F). Rows from ``start`` on are read only for feature columns
            (taken as known); rows past the end need no features when ``steps <= horizon`` or
            no feature is an input.

    Returns:
        Scaled forecasts of the target columns, shape (steps, C).
    """
    feature_inputs = [i for i in inputs if i not in targets]
    known = max(0, len(values) - start)
    if feature_inputs and steps > max(known, horizon):
        raise ConfigError(
            f"Forecasting {steps} steps past the data needs future values of the feature "
            f"columns; forecast at most --horizon ({horizon}) steps, or fit without --features."
        )
    blocks = -(-steps // horizon)  # ceil
    buffer = np.zeros((start + blocks * horizon, values.shape[1]), dtype=values.dtype)
    usable = min(len(values), len(buffer))
    buffer[:usable] = values[:usable]  # feature columns ahead of `start` stay as observed
    buffer[start:, targets] = 0.0  # the future target is never read from the data
    for t in range(start, start + steps, horizon):
        window = buffer[None, t - lookback : t][:, :, inputs]  # (1, L, F_in)
        buffer[t : t + horizon, targets] = predict(window)[0]  # (H, C)
    return buffer[start : start + steps][:, targets]


def check_history(start: int, lookback: int) -> None:
    """The first forecast needs ``lookback`` rows before ``start``."""
    if start < lookback:
        raise ConfigError(
            f"Only {start} rows precede the forecast origin but --lookback is {lookback}; "
            "give more data or a shorter lookback."
        )
