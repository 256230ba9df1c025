"""Chronological train / validation / test split.

Each size is a fraction of the rows, a count of rows, or a date at which that part starts.
The validation part sits just before the test part.

>>> import pandas as pd
>>> idx = pd.date_range("2024-01-01", periods=10, freq="D")
>>> chronological_split(idx, test_size=0.2, val_size=2)
Split(n_train=6, n_val=2, n_test=2)
>>> chronological_split(idx, test_size="2024-01-09", val_size=0)
Split(n_train=8, n_val=0, n_test=2)
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from rnncast.data.dates import in_zone
from rnncast.data.sizes import Size
from rnncast.errors import ConfigError


class Split(NamedTuple):
    """Row counts of the three consecutive parts."""

    n_train: int
    n_val: int
    n_test: int

    @property
    def val_start(self) -> int:
        return self.n_train

    @property
    def test_start(self) -> int:
        return self.n_train + self.n_val


def chronological_split(index: pd.Index, test_size: Size, val_size: Size) -> Split:
    """Split ``len(index)`` rows into train, validation and test, in time order."""
    n = len(index)
    test_start = n - _rows(index, test_size, "test_size", end=n)
    val_start = test_start - _rows(index, val_size, "val_size", end=test_start)
    if val_start <= 0:
        raise ConfigError(
            f"--test-size {test_size!r} and --val-size {val_size!r} leave no training rows "
            f"out of {n}; make them smaller."
        )
    return Split(val_start, test_start - val_start, n - test_start)


def _rows(index: pd.Index, size: Size, name: str, end: int) -> int:
    """Rows in a part that ends (exclusive) at row ``end``."""
    n = len(index)
    if isinstance(size, str):
        if not isinstance(index, pd.DatetimeIndex):
            raise ConfigError(f"`{name}` {size!r} is a date, but the data has no date column.")
        try:
            start = pd.Timestamp(size)
        except ValueError:
            raise ConfigError(
                f"`{name}` {size!r} is neither a fraction, a row count nor a date."
            ) from None
        start = in_zone(start, getattr(index, "tz", None), f"`{name}`", index)
        if end == 0 or not index[0] < start <= index[end - 1]:
            raise ConfigError(
                f"`{name}` date {size} lies outside the data it splits "
                f"({index[0].date()} to {index[max(end, 1) - 1].date()}); "
                "choose a date inside it."
            )
        return end - int(index[:end].searchsorted(start))
    if isinstance(size, float):
        return int(round(size * n))
    if size >= end:
        raise ConfigError(
            f"{_option(name)} {size} takes all {end} remaining rows; make it smaller."
        )
    return int(size)


def _option(name: str) -> str:
    """``test_size`` -> ``--test-size``: the CLI's form, which rnncast.errors maps to the
    caller's (``test_size=24`` in Python)."""
    return "--" + name.replace("_", "-")
