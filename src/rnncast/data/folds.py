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
