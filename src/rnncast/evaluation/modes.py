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

Predict = Callable[..., np.ndarray]  # (windows) or (windows, rows) -> forecasts

MODES = {
    "one_step": "each forecast is fed the true history up to its origin",
    "recursive": "one forecast over the whole test part, fed its own earlier predictions",
}


def roll_forward(
    values: np.ndarray,
    start: int | np.ndarray,
    steps: int | np.ndarray,
    predict: Predict,
    lookback: int,
    horizon: int,
    inputs: Sequence[int],
    targets: Sequence[int],
    align_end: bool = False,
    blank: bool = False,
) -> np.ndarray:
    """Forecast ``steps`` rows from row ``start`` (or from each of several origins at once) by
    feeding predictions back in.

    Args:
        values: Scaled series (T, F). Rows from an origin on are read only for feature columns
            (taken as known); rows past the end need no features when ``steps <= horizon`` or
            no feature is an input. Target values from an origin on are never read.
        start: One origin, or an array of B origins forecast together in one batch.
        steps: How many rows to forecast, or with several origins an array of how many from
            each: an origin drops out of the batch once its rows are done, and ``predict`` is
            then called as ``predict(windows, rows)`` with the indices of the origins still
            forecasting (their windows in that order).
        align_end: End the last block of ``horizon`` rows exactly at ``steps`` (it starts
            earlier and overlaps the block before it, whose forecasts are kept), so no window
            reads inputs beyond the rows forecast: for known inputs, which a window reads
            ``horizon`` rows ahead. Not with an array of ``steps``.
        blank: Rows before the series' first are NaN in a window, not copies of it (see
            :func:`rnncast.data.windows.pad_start`).

    Returns:
        Scaled forecasts of the target columns: (steps, C) for one origin, (B, steps, C) for
        several (rows past an origin's own ``steps`` are not forecasts).
    """
    origins = np.atleast_1d(np.asarray(start, dtype=np.int64))
    each = np.ndim(steps) > 0
    needed = np.broadcast_to(np.asarray(steps, dtype=np.int64), origins.shape)
    steps = int(needed.max())
    feature_inputs = [i for i in inputs if i not in targets]
    known = len(values) - int(origins.max())
    if feature_inputs and steps > max(known, horizon):
        raise ConfigError(
            f"Forecasting {steps} steps past the data needs future values of the feature "
            f"columns; forecast at most --horizon ({horizon}) steps, or fit without --features."
        )
    blocks = -(-steps // horizon)  # ceil
    rows = origins[:, None] + np.arange(-lookback, blocks * horizon)  # (B, L + blocks * H)
    inside = rows < len(values)
    buffer = np.zeros((*rows.shape, values.shape[1]), dtype=values.dtype)
    # feature columns ahead of an origin stay as observed; rows before the first (a padded
    # window, see rnncast.data.windows.pad_start) repeat the first, or are NaN with blank
    buffer[inside] = values[np.maximum(rows, 0)[inside]]
    if blank:
        buffer[rows < 0] = np.nan
    buffer[:, lookback:, targets] = 0.0  # the future target is never read from the data
    starts = list(range(lookback, lookback + steps, horizon))
    done = lookback  # rows forecast so far
    if align_end and each:
        raise ValueError("align_end needs the same number of steps from every origin")
    if align_end and steps > horizon and steps % horizon:
        starts[-1] = lookback + steps - horizon
    for t in starts:
        if not each:
            window = buffer[:, t - lookback : t][:, :, inputs]  # (B, L, F_in)
            new = predict(window)[:, done - t :]  # (B, H, C), less rows already forecast
            buffer[:, done : t + horizon, targets] = new
            done = t + horizon
            continue
        rows = np.flatnonzero(needed > t - lookback)  # origins with rows still to forecast
        window = buffer[rows, t - lookback : t][:, :, inputs]
        buffer[np.ix_(rows, np.arange(t, t + horizon), targets)] = predict(window, rows)
    out = buffer[:, lookback : lookback + steps][:, :, targets]  # (B, steps, C)
    return out if np.ndim(start) else out[0]


def check_history(start: int, lookback: int) -> None:
    """The first forecast needs ``lookback`` rows before ``start``."""
    if start < lookback:
        raise ConfigError(
            f"Only {start} rows precede the forecast origin but --lookback is {lookback}; "
            "give more data or a shorter lookback."
        )
