"""Rolling-origin folds for backtests: where each fold's data starts, is cut, and ends.

Fold k of N tests the rows ``[cut_k, cut_k + test)``; the cut-offs move forward by ``step``
rows and the last fold ends with the data. An expanding window trains from the first row;
a sliding window keeps the first fold's length.

>>> [(f.start, f.cut, f.end) for f in make_folds(100, folds=3, test=10, step=10)]
[(0, 70, 80), (0, 80, 90), (0, 90, 100)]
>>> [(f.start, f.cut, f.end) for f in make_folds(100, 3, 10, 10, window="sliding")]
[(0, 70, 80), (10, 80, 90), (20, 90, 100)]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from rnncast.data.dates import parse_dates
from rnncast.data.prepared import PreparedData
from rnncast.errors import ConfigError

WINDOWS = ("expanding", "sliding")


class Fold(NamedTuple):
    """Rows [start, end) of one fold; rows from ``cut`` on are its test part."""

    index: int
    start: int
    cut: int
    end: int


def make_folds(
    n_rows: int, folds: int, test: int, step: int | None = None, window: str = "expanding"
) -> list[Fold]:
    """The folds, oldest first."""
    for name, value in (("folds", folds), ("test rows", test)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"`{name}` must be a whole number >= 1, got {value!r}.")
    step = test if step is None else step
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ConfigError(f"`step` must be a whole number >= 1, got {step!r}.")
    if window not in WINDOWS:
        raise ConfigError(f"`window` must be expanding or sliding; got {window!r}.")
    first_cut = n_rows - test - (folds - 1) * step
    if first_cut < 1:
        raise ConfigError(
            f"{folds} folds of {test} test rows, {step} apart, need more than the {n_rows} rows "
            "there are; use fewer --folds, a smaller --step or a smaller --test-size."
        )
    out = []
    for k in range(folds):
        cut = first_cut + k * step
        start = 0 if window == "expanding" else cut - first_cut
        out.append(Fold(k, start, cut, cut + test))
    return out


class SeriesFolds(NamedTuple):
    """The folds of many series: ``rows[k]`` marks the raw table's rows of fold k (every
    series' rows from its fold's start to its fold's end); ``left_out`` names the series too
    short for the folds; ``test`` is each series' test rows per fold."""

    rows: list[np.ndarray]
    left_out: list[str]
    test: int


def series_folds(
    data: PreparedData,
    raw: pd.DataFrame,
    folds: int,
    test: int | float,
    step: int | None = None,
    window: str = "expanding",
) -> SeriesFolds:
    """Rolling-origin folds of every series of long-format ``data`` (prepared from ``raw``),
    each series' folds ending with its own last observation, as :func:`make_folds` places
    them in that series alone. ``test`` is a row count, or a fraction of the median series'
    length. A fold's rows are picked from the raw table by date (by position within the
    series without dates), so a fold is read and prepared afresh: nothing after its end is
    filled in, scaled or scored."""
    lengths = [len(data.parts[g]) for g in range(len(data.ids))]
    rows = test if isinstance(test, int) else max(1, int(round(test * np.median(lengths))))
    make_folds(max(lengths), folds, rows, step, window)  # the settings' own errors first
    plans, left_out = {}, []
    for g, n in enumerate(lengths):
        try:
            plans[g] = make_folds(n, folds, rows, step, window)
        except ConfigError:
            left_out.append(data.ids[g])
    g_of = pd.Series(range(len(data.ids)), index=list(data.ids))
    which = g_of.reindex(raw[data.id_column].astype(str).to_numpy()).to_numpy()  # raw row -> g
    if data.date is not None:
        at = parse_dates(raw[data.date], data.date, [])[0].asi8
    else:  # position within its series, as prepared
        at = raw.groupby(raw[data.id_column].astype(str), sort=False).cumcount().to_numpy()
    out = []
    for k in range(folds):
        lo = np.full(len(data.ids), np.iinfo(np.int64).max)
        hi = np.full(len(data.ids), np.iinfo(np.int64).min)
        for g, plan in plans.items():
            index, fold = data.parts[g].index, plan[k]
            stamps = index.asi8 if data.date is not None else np.arange(len(index))
            lo[g], hi[g] = stamps[fold.start], stamps[fold.end - 1]
        known = ~np.isnan(which)
        g = np.where(known, which, 0).astype(np.int64)
        out.append(known & (at >= lo[g]) & (at <= hi[g]))
    return SeriesFolds(out, left_out, rows)
