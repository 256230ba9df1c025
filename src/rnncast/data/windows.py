"""Lookback/horizon windows as index arithmetic over one array: nothing is copied up front.

A window with origin ``t`` reads input rows ``t - L .. t - 1`` and target rows ``t + s - 1`` for
each forecast step ``s`` (1 .. H, or a chosen set such as 1, 3, 7). Batches are gathered from a
strided view only when asked for.

>>> import numpy as np
>>> series = np.arange(6, dtype=np.float32)[:, None]            # (T=6, F=1)
>>> w = Windows(series, lookback=3, horizon=1, inputs=[0], targets=[0], origins=np.arange(3, 6))
>>> x, y = w.arrays()
>>> x[:, :, 0].tolist(), y[:, :, 0].tolist()
([[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]], [[3.0], [4.0], [5.0]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def origins_between(start: int, stop: int, lookback: int, horizon: int, n_rows: int) -> np.ndarray:
    """Origins whose targets all lie in rows [start, stop) and whose inputs exist.

    >>> origins_between(0, 10, lookback=3, horizon=2, n_rows=10).tolist()
    [3, 4, 5, 6, 7, 8]
    """
    first = max(start, lookback)
    last = min(stop, n_rows) - horizon  # inclusive
    return np.arange(first, last + 1) if last >= first else np.arange(0)


def pad_start(values: np.ndarray, origins: np.ndarray, lookback: int, blank: bool = False):
    """``values`` with copies of its first row put before it, as many as the earliest
    window of ``origins`` reaches before row 0, and the origins moved to match: a window that
    starts before the series reads its first value there (with ``blank``, NaN rows: a
    network that tells them apart, see :class:`rnncast.nn.networks.Trend`).

    >>> v, o = pad_start(np.arange(3.0)[:, None], np.array([1, 2]), lookback=3)
    >>> v[:, 0].tolist(), o.tolist()
    ([0.0, 0.0, 0.0, 1.0, 2.0], [3, 4])
    >>> pad_start(np.arange(3.0)[:, None], np.array([2]), lookback=3, blank=True)[0][:, 0]
    array([nan,  0.,  1.,  2.])
    """
    short = lookback - int(np.min(origins, initial=lookback))
    if short <= 0:
        return values, origins
    before = np.repeat(values[:1], short, axis=0)
    if blank:
        before = np.full_like(before, np.nan)
    return np.concatenate([before, values]), origins + short


class Spans:
    """Window origins stored as runs, one per series: run r holds the origins
    ``starts[r] .. starts[r] + counts[r] - 1``. Memory is per series, not per window, so a
    panel of 10^8 values needs no 10^8-long index.

    >>> spans = Spans(starts=[3, 20], counts=[2, 3], groups=[0, 4])
    >>> len(spans), spans[np.array([0, 1, 2, 4])].tolist(), spans.group(np.array([1, 2])).tolist()
    (5, [3, 4, 20, 22], [0, 4])
    """

    def __init__(self, starts, counts, groups=None) -> None:
        self.starts = np.asarray(starts, dtype=np.int64)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.cumulative = np.concatenate([[0], np.cumsum(self.counts)])
        self.groups = None if groups is None else np.asarray(groups, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.cumulative[-1])

    def _run(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.cumulative, rows, side="right") - 1

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows)
        run = self._run(rows)
        return self.starts[run] + (rows - self.cumulative[run])

    def group(self, rows: np.ndarray) -> np.ndarray:
        """The series of each window in ``rows``."""
        return self.groups[self._run(np.asarray(rows))]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self[np.arange(len(self))].astype(dtype or np.int64)


class Windows:
    """Windows over ``values`` (T, F) for the given origins.

    Args:
        values: Scaled series, shape (T, F), float32.
        lookback: L, input rows per window.
        horizon: H (steps 1..H), or the forecast steps themselves, e.g. (1, 3, 7).
        inputs: Column indices fed to the network (F_in of them).
        targets: Column indices predicted (C of them).
        origins: First target row of each window, shape (N,).
    """

    def __init__(
        self,
        values: np.ndarray,
        lookback: int,
        horizon: int | Sequence[int],
        inputs: Sequence[int],
        targets: Sequence[int],
        origins: np.ndarray | Spans,
        with_series: bool = False,
    ) -> None:
        self.values = values
        steps = range(1, horizon + 1) if isinstance(horizon, int) else horizon
        self.lookback, self.leads = lookback, np.asarray(steps, dtype=np.int64) - 1
        self.inputs, self.targets = list(inputs), list(targets)
        if not isinstance(origins, Spans):
            origins = np.asarray(origins, dtype=np.int64)
        self.origins = origins
        self.with_series = with_series  # batches carry their series, for an embedding
        # (T - L + 1, F, L) and (T - S + 1, F, S) views of every slice; no copy.
        self._past = sliding_window_view(values, lookback, axis=0)
        self._future = sliding_window_view(values, int(self.leads[-1]) + 1, axis=0)

    def __len__(self) -> int:
        return len(self.origins)

    def batch(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gather windows ``rows`` (positions in ``origins``): x (B, L, F_in), y (B, S, C)."""
        t = self.origins[rows]
        x = self._past[t - self.lookback][:, self.inputs, :]  # (B, F_in, L)
        y = self._future[t][:, self.targets][:, :, self.leads]  # (B, C, S)
        return x.transpose(0, 2, 1), y.transpose(0, 2, 1)  # (B, L, F_in), (B, S, C)

    def series(self, rows: np.ndarray) -> np.ndarray | None:
        """The series of windows ``rows``, or None when the windows carry no series."""
        return self.origins.group(rows) if self.with_series else None

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All windows at once (for evaluation of a part, not for training data)."""
        return self.batch(np.arange(len(self)))
