"""Inputs known ahead of time (:class:`Known`): the user's columns, the calendar, public
holidays and static covariates; and the future part of a table, the rows after its last
observed target."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnncast.data.calendar import (
    calendar_columns,
    calendar_frame,
    calendar_parts,
    check_calendar_names,
)
from rnncast.data.dates import dates_after, wall_clock, when
from rnncast.data.prepared import PreparedData, as_names
from rnncast.data.static import static_names, static_spec
from rnncast.errors import ConfigError, DataError


@dataclass(frozen=True)
class Known:
    """Inputs known ahead of time: columns of the data whose future values the user gives,
    calendar parts made from the dates (``"auto"`` for the frequency's), and the public
    holidays of a country or subdivision (``"AU-VIC"``)."""

    columns: tuple[str, ...] = ()
    calendar: tuple[str, ...] | str | None = None
    holidays: str | None = None
    static: tuple[str, ...] = ()
    static_spec: dict | None = None  # how the static columns were encoded when fitted

    @classmethod
    def of(cls, known=(), calendar=None, holidays=None, static=()) -> Known:
        """From the arguments of :meth:`Forecaster.fit` (``known`` the user's columns)."""
        names = as_names(known, "known") if known else ()
        fixed = as_names(static, "static") if static else ()
        if isinstance(calendar, str) and calendar not in ("auto", ""):
            calendar = tuple(c.strip() for c in calendar.split(",") if c.strip())
        elif isinstance(calendar, list | tuple):
            calendar = tuple(calendar)
        return cls(names, calendar or None, (holidays or "").strip() or None, fixed)

    def __bool__(self) -> bool:
        return bool(self.columns or self.calendar or self.holidays or self.static)

    def encoded(self, frames: Sequence[pd.DataFrame], id: str | None) -> Known:
        """With the static columns' encoding (from ``frames``, unless fitted already), and
        their network columns among the known columns."""
        if not self.static:
            return self
        if id is None:
            raise ConfigError("--static gives each of many series its values; it needs --id.")
        spec = self.static_spec or static_spec(frames, id, self.static)
        columns = (*self.columns, *static_names(spec))
        return dataclasses.replace(self, columns=columns, static_spec=spec)


NO_KNOWN = Known()


def split_future(
    frame: pd.DataFrame, targets, known: Sequence[str], notes: list[str], zone: str | None = None
):
    """The rows up to the last observed target, and the rows after it (the future part:
    the known columns' values ahead, or None). Nothing after the last observation is ever
    filled in or scored. Dates held in UTC are named in the data's ``zone``."""
    observed = frame[list(targets)].notna().to_numpy().any(axis=1)
    if not observed.any() or observed[-1]:
        return frame, None
    last = len(observed) - 1 - int(np.argmax(observed[::-1]))
    past, ahead = frame.iloc[: last + 1], frame.iloc[last + 1 :]
    what = "the known columns' future values" if known else "not used (no --known columns)"
    notes.append(
        f"{len(ahead)} rows after the last observed {targets[0]!r} (from "
        f"{when(ahead.index[0], zone)}) are the future part: never filled in or scored; {what}."
    )
    return past, ahead[list(known)] if known else None


def with_known(
    frame, future, targets, feats, date, freq, notes, known: Known, zone: str | None = None
) -> PreparedData:
    """The prepared series with the calendar's columns made from its dates (as the clock
    reads them in the data's ``zone``), placed after the user's known columns and before the
    targets."""
    parts = calendar_parts(known.calendar, freq) if known else ()
    made = calendar_columns(parts, known.holidays)
    if made:
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise ConfigError("--calendar and --holidays need a date column.")
        check_calendar_names(frame.columns, parts, known.holidays)
        wall = wall_clock(frame.index, zone)
        cal = calendar_frame(wall, parts, known.holidays).set_axis(frame.index)
        frame = pd.concat([frame.iloc[:, : -len(targets)], cal, frame[list(targets)]], axis=1)
    if future is not None and isinstance(frame.index, pd.DatetimeIndex):
        check_future_dates(frame.index, future.index, freq, zone)
    return PreparedData(
        frame,
        targets,
        feats,
        date,
        freq,
        notes=notes,
        known=(*known.columns, *made),
        calendar=tuple(parts),
        holidays=known.holidays,
        future=future,
        static=known.static_spec,
        zone=zone,
    )


def check_future_dates(
    history: pd.DatetimeIndex, dates: pd.DatetimeIndex, freq, zone: str | None = None
) -> None:
    """Future dates must go on from the last observation at the data's frequency (dates
    held in UTC are named in the data's ``zone``)."""
    expected = dates_after(history[-1], len(dates), freq, zone)
    wrong = np.flatnonzero(expected != dates)
    if len(wrong):
        k = int(wrong[0])
        raise DataError(
            f"Future date {when(dates[k], zone)} should be {when(expected[k], zone)}: future "
            f"rows must go on from the last observation ({when(history[-1], zone)}) at "
            f"frequency {freq!r}, one row per date."
        )
