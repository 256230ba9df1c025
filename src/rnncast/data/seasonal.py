"""Seasonality removed before the network: each series divided by its seasonal indices, learned
from its training rows by a classical multiplicative decomposition, and the forecast multiplied
back. The indices average the ratios of the last :data:`RECENT` seasons only: a season drifts,
and the pattern of the years just before the forecast says more about the next than the
pattern of decades before.

A series keeps indices of 1 (nothing removed) unless it has three whole seasons of positive
training values and its autocorrelation at the season is significant at the 90% level (the
test of the M4 competition's Theta and seasonal-naive benchmarks). Indices are tied to the
*phase* of a row: its position in the season counted from a fixed epoch of the frequency
(:func:`first_phase`), so new observations that start anywhere line up with the training rows.

>>> m = 4
>>> y = np.tile([0.5, 1.0, 1.5, 1.0], 6) * np.linspace(100, 120, 24)
>>> np.round(indices(y, m), 2).tolist()
[0.5, 1.0, 1.5, 1.0]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# Seasons of ratios (to the moving average) that the indices average, the latest: chosen on the
# development sets' training parts (docs/accuracy.md, "Recent seasons"), where it beat every
# season on Tourism quarterly at both looks and did as well or a little better elsewhere; 3
# and 8 did about as well on Tourism quarterly.
RECENT = 5


def is_seasonal(x: np.ndarray, m: int) -> bool:
    """Whether ``x`` has a significant autocorrelation at lag ``m`` (90%, one-sided with the
    Bartlett bound of the lags before it), and the three whole seasons the test needs."""
    if m <= 1 or len(x) < 3 * m:
        return False
    centred = x - x.mean()
    denominator = float(centred @ centred)
    if denominator == 0:
        return False
    acf = np.array([centred[k:] @ centred[:-k] for k in range(1, m + 1)]) / denominator
    bound = 1.645 * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / len(x))
    return bool(abs(acf[-1]) > bound)


def indices(x: np.ndarray, m: int, phase0: int = 0, recent: int | None = RECENT) -> np.ndarray:
    """The multiplicative seasonal indices (m,) of ``x``, by phase (``phase0`` is the phase of
    ``x[0]``): the mean ratio of each value to the centred moving average of one season over
    the last ``recent`` seasons of ratios (None: all), scaled to average 1."""
    weights = np.full(m + 1, 1.0 / m) if m % 2 == 0 else np.full(m, 1.0 / m)
    if m % 2 == 0:
        weights[[0, -1]] = 0.5 / m  # a 2 x m moving average centres an even season
    trend = np.convolve(x, weights, mode="valid")
    half = (len(weights) - 1) // 2
    ratios = x[half : half + len(trend)] / trend
    phases = (phase0 + half + np.arange(len(trend))) % m
    if recent is not None and len(ratios) > recent * m:
        ratios, phases = ratios[-recent * m :], phases[-recent * m :]
    out = np.array([ratios[phases == k].mean() for k in range(m)])
    return out * m / out.sum()


def fit_indices(rows: np.ndarray, m: int, phase0: int) -> np.ndarray:
    """Indices (m, C) for the training rows (T, C) of one series: a column that fails the
    test (see the module) keeps 1s."""
    out = np.ones((m, rows.shape[1]))
    for c in range(rows.shape[1]):
        x = rows[:, c]
        if np.all(x > 0) and is_seasonal(x, m):
            out[:, c] = indices(x, m, phase0)
    return out


def first_phase(index: pd.Index, freq: str | None) -> int:
    """A number whose remainder by the season is the phase of the frame's first row: with
    dates of a known frequency the count of periods since the epoch, so that every frame of
    the same frequency shares phases; otherwise 0 (rows count from the frame's first)."""
    if freq is None or len(index) == 0 or not isinstance(index, pd.DatetimeIndex):
        return 0
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            period = pd.Period(index[0], freq=_period_freq(offset))
    except (TypeError, ValueError, AttributeError):
        return 0
    return int(period.ordinal) // max(1, offset.n)


def _period_freq(offset) -> str:
    """The period frequency of a date offset: months for month starts, and so on."""
    with warnings.catch_warnings():  # business-day periods are deprecated, still right here
        warnings.simplefilter("ignore", FutureWarning)
        return pd.date_range("2000-01-01", periods=2, freq=offset).to_period().freqstr
