"""A clean series, ready for splitting: :class:`PreparedData`, what
:mod:`rnncast.data.prepare` makes of a raw table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from rnncast.data.calendar import calendar_columns, calendar_frame
from rnncast.data.dates import dates_after, localize, wall_clock
from rnncast.data.static import static_names
from rnncast.errors import ConfigError


@dataclass
class PreparedData:
    """A clean series. ``frame`` holds the input columns (features first, then known columns,
    then targets).

    Attributes:
        frame: Float64 values indexed by a sorted DatetimeIndex (or a RangeIndex without dates).
        targets: Target column names (C of them).
        features: Extra input column names (may be empty): past covariates, known up to the
            forecast origin only.
        known: Columns known ahead of time (the user's, then the calendar's), in frame order.
        calendar: The calendar parts made from the dates (see :mod:`rnncast.data.calendar`).
        holidays: The country or subdivision whose public holidays make the ``holiday`` column.
        future: The user's known columns on the dates after the last observed target (rows
            of the data whose target was empty), or None; with many series one per series in
            ``futures``.
        date: Name of the date column, or None.
        freq: Pandas frequency alias ('D', 'B', 'MS', 'h', ...), or None without dates.
        missing_filled: Number of values filled in by the missing-value policy.
        rows_dropped: Number of rows removed by the ``drop`` policy.
        notes: Plain sentences about what was done to the data, for the run summary.
        id_column: The column naming the series in long-format data with many series.
        ids: The series' names, in order; empty for a single series.
        bounds: Row offsets of the series as if stacked (series g is rows
            ``bounds[g]:bounds[g + 1]``); empty for a single series.
        group: Which series this is, when it is one series of many (its scaler's row).
        parts: With many series, one frame per series and ``frame`` None: the panel is
            never held as one pandas frame.
        holes: Where values were missing and interpolated, one (T, F) mask per series; kept
            so that :func:`refill_causally` can redo the rows before a split boundary.
        reference: With many series, the names of those that only train the model (a
            reference table, :func:`rnncast.data.load.load`'s ``reference``): never forecast
            nor scored.
        wide: Read from a wide table, one column per series (:func:`rnncast.data.load.load`'s
            ``wide``); newer data of the run are read the same way.
        zone: The time zone the dates were given in (see :func:`rnncast.data.dates.parse_dates`),
            or None. Dates are held in UTC without a zone; what leaves rnncast (forecast
            dates, summaries, plots) and the calendar columns are in this zone
            (:meth:`local`).
    """

    frame: pd.DataFrame | None
    targets: tuple[str, ...]
    features: tuple[str, ...]
    date: str | None
    freq: str | None
    missing_filled: int = 0
    rows_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    id_column: str | None = None
    ids: tuple[str, ...] = ()
    bounds: tuple[int, ...] = ()
    group: int = 0
    parts: tuple[pd.DataFrame, ...] = ()
    holes: tuple[np.ndarray, ...] = ()
    known: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()
    holidays: str | None = None
    future: pd.DataFrame | None = None
    futures: tuple[pd.DataFrame | None, ...] = ()
    static: dict | None = None
    zone: str | None = None
    reference: tuple[str, ...] = ()
    wide: bool = False

    def local(self, index: pd.Index) -> pd.Index:
        """Dates of this data in its own zone (see :func:`rnncast.data.dates.localize`)."""
        return localize(index, self.zone)

    def wall(self, index: pd.Index) -> pd.Index:
        """Dates of this data as its zone's clock reads them (calendar, plots)."""
        return wall_clock(index, self.zone)

    @property
    def static_columns(self) -> list[str]:
        """The network columns of the static covariates (constant within a series)."""
        return static_names(self.static) if self.static else []

    @property
    def user_known(self) -> tuple[str, ...]:
        """The known columns the user gives future values for (not made from the dates, not
        static)."""
        made = {*calendar_columns(self.calendar, self.holidays), *self.static_columns}
        return tuple(k for k in self.known if k not in made)

    def dates_after(self, n: int) -> pd.Index:
        """The ``n`` dates (or row numbers) after the last observation of one series."""
        index = self.frame.index
        if isinstance(index, pd.DatetimeIndex):
            return dates_after(index[-1], n, self.freq, self.zone)
        return pd.RangeIndex(len(index), len(index) + n)

    def known_ahead(self, n: int) -> np.ndarray:
        """The known columns on the ``n`` dates after the last observation (n, K), in
        original units: calendar columns made from the dates, the user's from ``future``
        (NaN past its end)."""
        out = np.full((n, len(self.known)), np.nan)
        dates = self.dates_after(n)
        made = calendar_columns(self.calendar, self.holidays)
        if made:
            cal = calendar_frame(self.wall(dates), self.calendar, self.holidays)
            for name in made:
                out[:, self.known.index(name)] = cal[name].to_numpy()
        if self.future is not None:
            rows = min(n, len(self.future))
            for name in self.user_known:
                out[:rows, self.known.index(name)] = self.future[name].to_numpy()[:rows]
        for name in self.static_columns:  # the same on every date
            out[:, self.known.index(name)] = self.frame[name].iloc[-1]
        return out

    @property
    def columns(self) -> list[str]:
        """All value columns: features, known columns, then targets."""
        return list((self.frame if self.frame is not None else self.parts[0]).columns)

    @property
    def n_rows(self) -> int:
        return len(self.frame) if self.frame is not None else self.bounds[-1]

    def first_last(self) -> tuple:
        """The earliest and latest date (in the data's zone) or row over every series."""
        frames = [self.frame] if self.frame is not None else self.parts
        first, last = min(f.index.min() for f in frames), max(f.index.max() for f in frames)
        if isinstance(first, pd.Timestamp):
            first, last = self.local(pd.DatetimeIndex([first, last]))
        return first, last

    @property
    def n_series(self) -> int:
        return max(1, len(self.ids))

    def on_own_clock(self) -> PreparedData:
        """These data with every date as the clock in their zone shows it, and no zone: how
        a model whose dates had none reads newer data of days or longer that have one."""

        def clock(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame.set_axis(wall_clock(frame.index, self.zone))

        return replace(
            self,
            frame=clock(self.frame),
            parts=tuple(clock(p) for p in self.parts),
            future=clock(self.future),
            futures=tuple(clock(f) for f in self.futures),
            zone=None,
        )

    def series(self, g: int) -> PreparedData:
        """Series ``g`` alone (the data itself when there is only one)."""
        if not self.ids:
            return self
        return PreparedData(
            self.parts[g],
            self.targets,
            self.features,
            self.date,
            self.freq,
            id_column=self.id_column,
            ids=(self.ids[g],),
            group=g,
            holes=(self.holes[g],) if self.holes and self.holes[g] is not None else (),
            known=self.known,
            calendar=self.calendar,
            holidays=self.holidays,
            future=self.futures[g] if self.futures else None,
            static=self.static,
            zone=self.zone,
        )

    @property
    def name(self) -> str | None:
        """The series' name, when it is one series of many."""
        return self.ids[0] if len(self.ids) == 1 else None


def as_names(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        names = tuple(v.strip() for v in value.split(",") if v.strip())
    else:
        names = tuple(value)
    if not names:
        raise ConfigError(f"`{what}` is empty; name at least one column.")
    if len(set(names)) != len(names):
        raise ConfigError(f"`{what}` names a column twice: {', '.join(names)}.")
    return names
