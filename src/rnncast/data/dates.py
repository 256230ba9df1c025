"""Dates of a table: found by name, parsed strictly (one format, one kind of time zone),
checked for duplicates, and their frequency inferred.

>>> import pandas as pd
>>> infer_freq(pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-03-01"]), [])
'MS'
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from rnncast.errors import ConfigError, DataError

DATE_NAMES = ("date", "datetime", "time", "timestamp", "ds", "month", "day", "period")


# A time of day followed by a zone: 'Z', '+02:00', '-0500'.
_ZONE_SUFFIX = r"Z|[+-]\d\d:?\d\d"
_ZONE = rf"\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:{_ZONE_SUFFIX})$"


def detect_date(raw: pd.DataFrame, notes: list[str]) -> str | None:
    for col in raw.columns:
        if str(col).strip().lower() in DATE_NAMES:
            notes.append(f"Using column {col!r} as the date (pass --date to choose another).")
            return str(col)
    return None


def parse_dates(
    column: pd.Series, name: str, notes: list[str]
) -> tuple[pd.DatetimeIndex, str | None]:
    """The dates of ``column`` (held in UTC where they have a zone, or read on their own clock,
    see :func:`_own_clock`) and the zone they were given in, kept so that forecasts are
    written in it: the zone of a column with one (an IANA name such as ``Europe/Berlin``), the
    offset that every text date shares (``+01:00``; ``UTC`` for ``Z``), ``UTC`` when the
    offsets differ and no zone names them (summer time), None for dates without a zone or read
    on their own clock."""
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = pd.to_datetime(column)
        tz = getattr(column.dtype, "tz", None)
        zone = None if tz is None else zone_name(tz)
    else:
        parsed = _parse_date_text(column, name)
        offsets = _offsets(column)
        zone = offsets[0] if len(offsets) == 1 else None
        clock = _own_clock(column, parsed, offsets, name)
        if clock is not None:
            parsed = clock
            notes.append(
                f"Dates in {name!r} are all at one time of day while their offsets change "
                f"(summer time: {', '.join(offsets)}); read as the dates their own clock "
                "shows, so the steps stay even, and forecast dates are written without an "
                "offset."
            )
        elif len(offsets) > 1:
            zone = "UTC"
    if parsed.isna().any():
        row = int(np.argmax(parsed.isna().to_numpy()))
        raise DataError(f"Date column {name!r} is empty in row {row + 2} of the file; fill it in.")
    index = pd.DatetimeIndex(parsed, name=name)
    if index.tz is not None:  # held in UTC: even steps through summer time
        index = index.tz_convert(None)
        notes.append(
            f"Dates in {name!r} have a time zone ({zone}); forecast dates are written in it."
        )
    return index, zone


def dates_after(last: pd.Timestamp, n: int, freq: str, zone: str | None = None) -> pd.DatetimeIndex:
    """The ``n`` dates after ``last`` at ``freq``, held as :func:`parse_dates` holds them (in
    UTC when the data have a ``zone``). Steps of a day or longer are taken on the zone's clock,
    so daily or monthly data keep their time of day through summer time; shorter steps are
    lengths of time.

    >>> [str(d) for d in dates_after(pd.Timestamp("2024-03-29 23:00"), 2, "D", "Europe/Berlin")]
    ['2024-03-30 23:00:00', '2024-03-31 22:00:00']
    """
    if zone is None:
        return pd.date_range(last, periods=n + 1, freq=freq)[1:]
    start = localize(pd.DatetimeIndex([last]), zone)[0]
    offset = pd.tseries.frequencies.to_offset(freq)
    if not daily_or_longer(freq):
        dates = pd.date_range(start, periods=n + 1, freq=offset)
    else:  # a date that summer time skips moves on to the next moment that exists
        clock = pd.date_range(start.tz_localize(None), periods=n + 1, freq=offset)
        standard = np.zeros(len(clock), dtype=bool)  # a repeated one is read in winter time
        dates = clock.tz_localize(zone, ambiguous=standard, nonexistent="shift_forward")
    return dates[1:].tz_convert(None)


def daily_or_longer(freq: str | None) -> bool:
    """Whether steps of ``freq`` are days, weeks, months, ... (read on a clock), not hours
    or minutes (lengths of time).

    >>> [daily_or_longer(f) for f in ("D", "B", "W-SUN", "MS", "h", "15min", None)]
    [True, True, True, True, False, False, False]
    """
    if freq is None:
        return False
    offset = pd.tseries.frequencies.to_offset(freq)
    return not isinstance(offset, pd.offsets.Tick) or offset.nanos >= pd.Timedelta(days=1).value


def localize(index: pd.Index, zone: str | None) -> pd.Index:
    """Dates held in UTC as the data gave them: in ``zone``, with its offset (unchanged
    without a zone, or for row numbers)."""
    if zone is None or not isinstance(index, pd.DatetimeIndex):
        return index
    return (index if index.tz is not None else index.tz_localize("UTC")).tz_convert(zone)


def in_zone(stamp: pd.Timestamp, zone, name: str, index: pd.Index | None = None) -> pd.Timestamp:
    """A date the user named (``name`` says where) as a moment in the data's ``zone`` (None:
    dates without one): a date without a zone is read as the clock there shows it. A date
    with one, for data without a zone whose dates (``index``) are all at one time of day
    (days or longer, as :func:`_own_clock` reads them), is read as its own clock shows it:
    the day it names, whatever its offset."""
    if stamp.tzinfo is not None:
        if zone is None and index is not None and one_time_of_day(index):
            return stamp.tz_localize(None)
        return stamp.tz_convert(zone)
    if zone is None:
        return stamp
    try:
        return stamp.tz_localize(zone)
    except (ValueError, TypeError):  # a time skipped or repeated by summer time
        raise ConfigError(
            f"{name} {stamp} is not one moment in time zone {zone} (summer time skips or "
            "repeats it); give its offset, e.g. 2024-03-31T03:00+02:00."
        ) from None


def wall_clock(index: pd.Index, zone: str | None) -> pd.Index:
    """:func:`localize`'s dates as a clock in ``zone`` reads them, without the offset: what
    calendar columns and plot axes use."""
    index = localize(index, zone)
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        return index.tz_localize(None)
    return index


def _offsets(column: pd.Series) -> list[str]:
    """The offsets text dates are written with, in order ('UTC' for 'Z')."""
    text = column.dropna().astype("string").str.strip()
    suffix = text.str.extract(f"({_ZONE_SUFFIX})$", expand=False).dropna()
    return sorted({_offset(s) for s in suffix.unique()})


def _own_clock(
    column: pd.Series, parsed: pd.Series, offsets: list[str], name: str
) -> pd.Series | None:
    """Text dates (``parsed``: in UTC) whose ``offsets`` change, as summer time changes them,
    while each shows the same time of day: the dates their own clock shows, without the
    offsets; None for any other dates. Such data are days, weeks or months on a clock whose
    zone the offsets do not name; held in UTC their steps would be 23 or 25 hours long, and
    future dates would drift off their time of day."""
    if getattr(parsed.dt, "tz", None) is None or len(offsets) < 2:
        return None
    text = column.astype("string").str.strip()
    clock = _parse_date_text(text.str.replace(rf"\s*(?:{_ZONE_SUFFIX})$", "", regex=True), name)
    return clock if one_time_of_day(pd.DatetimeIndex(clock.dropna())) else None


def one_time_of_day(index: pd.Index) -> bool:
    """Whether every date of ``index`` shows the same time of day (days, weeks, months)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return False
    return (index - index.normalize()).nunique() == 1


def _offset(suffix: str) -> str:
    """'Z', '+0100' or '+01:00' written as 'UTC' or '+01:00'."""
    suffix = suffix.strip()
    if suffix == "Z" or suffix.replace(":", "") in ("+0000", "-0000"):
        return "UTC"
    return f"{suffix[:3]}:{suffix[-2:]}"


def zone_name(tz) -> str:
    """A zone (pandas writes a fixed offset 'UTC+01:00') as rnncast writes it: '+01:00'."""
    tz = str(tz)
    return tz[3:] if tz.startswith("UTC") and len(tz) > 3 else tz


def _parse_date_text(column: pd.Series, name: str) -> pd.Series:
    """Dates written as text: one format (or ISO 8601 throughout), one kind of time zone."""
    text = column.astype("string").str.strip()
    present = text.notna().to_numpy()
    aware = text.str.contains(_ZONE, regex=True).fillna(False).to_numpy()
    if aware[present].any() and not aware[present].all():
        with_zone, without = text[aware].iloc[0], text[present & ~aware].iloc[0]
        raise DataError(
            f"Date column {name!r} mixes dates with a time zone ({with_zone!r}) and without "
            f"({without!r}); give every date the same time zone, or none."
        )
    utc = bool(aware[present].any())  # offsets may differ (summer time): compare in UTC
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=utc)
    if parsed[present].isna().any():
        _check_one_format(text, present, name)
        parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
    bad = parsed.isna().to_numpy() & present
    if bad.any():
        row = int(np.argmax(bad))
        raise DataError(
            f"Date column {name!r} has a value that is not a date: {column.iloc[row]!r} "
            f"(row {row + 2} of the file). Fix it or choose another --date column."
        )
    return parsed


def _check_one_format(text: pd.Series, present: np.ndarray, name: str) -> None:
    """Dates that are not ISO 8601 must all follow the first date's format: a column mixing
    '2023-01-31' and '01/02/2023' would otherwise be read as whatever each value looks like."""
    at = int(np.argmax(present))
    first = text.iloc[at]
    fmt = guess_datetime_format(first)
    if fmt is None:
        return  # the per-value parse below names a value that is not a date
    strict = pd.to_datetime(text, errors="coerce", format=fmt).isna().to_numpy() & present
    loose = pd.to_datetime(text, errors="coerce", format="mixed").isna().to_numpy() & present
    other = strict & ~loose  # a date, but not written like the first one
    if other.any():
        row = int(np.argmax(other))
        raise DataError(
            f"Date column {name!r} mixes date formats: {first!r} (row {at + 2} of the file) and "
            f"{text.iloc[row]!r} (row {row + 2}); write every date one way (2023-01-31, ISO "
            "8601, is unambiguous)."
        )


def check_duplicates(index: pd.DatetimeIndex, name: str) -> None:
    dup = index.duplicated()
    if dup.any():
        first = index[int(np.argmax(dup))]
        raise DataError(
            f"Date {first} appears more than once in {name!r} ({int(dup.sum())} duplicates); "
            "aggregate or remove the duplicate rows."
        )


def infer_freq(index: pd.DatetimeIndex, notes: list[str]) -> str | None:
    """The data's frequency; for uneven dates the most common step, if it is common enough."""
    if len(index) < 3:
        return None
    with warnings.catch_warnings():  # pandas 3 warns that infer_freq will return an offset
        warnings.simplefilter("ignore")
        freq = pd.infer_freq(index)
    if freq is not None:
        return _one_name(pd.tseries.frequencies.to_offset(freq)).freqstr
    calendar = _calendar_with_gaps(index, notes)
    if calendar is not None:
        return calendar
    steps = pd.Series(index[1:] - index[:-1])
    step = steps.mode().iloc[0]
    share = float((steps == step).mean())
    alias, words = _step_alias(step), _in_words(step)
    if share < 0.5:
        raise DataError(
            f"Dates in {index.name!r} are irregularly spaced: the most common step, {words}, "
            f"is only {share:.0%} of them, so there is no frequency to forecast in. Resample "
            "to a regular frequency first (e.g. pandas df.resample('W').mean())."
        )
    longer = steps > step
    first = index[int(np.argmax(longer.to_numpy())) + 1]
    notes.append(
        f"Dates are not evenly spaced: {int(longer.sum())} of {len(steps)} steps are longer "
        f"than the usual {words} (the first ends {first.date()}); each row is one step for the "
        f"network, and future dates use steps of {words}."
    )
    return alias


def _one_name(offset: pd.DateOffset) -> pd.DateOffset:
    """Quarters named by one anchor, whichever month the data start in: pandas 2 calls quarter
    starts from April 'QS-OCT' where pandas 3 says 'QS-JAN' (the same dates). Starts take the
    anchor in January to March, ends in October to December, as pandas' own defaults do.

    >>> _one_name(pd.tseries.frequencies.to_offset("QS-OCT")).freqstr
    'QS-JAN'
    >>> _one_name(pd.tseries.frequencies.to_offset("QE-MAR")).freqstr
    'QE-DEC'
    """
    if type(offset) is pd.offsets.QuarterBegin:
        return pd.offsets.QuarterBegin(offset.n, startingMonth=(offset.startingMonth - 1) % 3 + 1)
    if type(offset) is pd.offsets.QuarterEnd:
        return pd.offsets.QuarterEnd(offset.n, startingMonth=(offset.startingMonth - 1) % 3 + 10)
    return offset


# Calendars to try when the dates have gaps, coarsest first; weekly ones are added per weekday.
CALENDARS = ("YS", "YE", "QS", "QE", "MS", "ME", "B", "D", "h", "min")
_NAMES = {"YS": "yearly", "YE": "yearly", "QS": "quarterly", "QE": "quarterly",
          "MS": "monthly", "ME": "monthly", "B": "business-daily", "D": "daily",
          "h": "hourly", "min": "minutely"}  # fmt: skip


_LONGEST = {  # the longest step of each calendar, to bound its grid before building it
    "YS": pd.Timedelta(days=366),
    "YE": pd.Timedelta(days=366),
    "QS": pd.Timedelta(days=92),
    "QE": pd.Timedelta(days=92),
    "MS": pd.Timedelta(days=31),
    "ME": pd.Timedelta(days=31),
    "W": pd.Timedelta(days=7),
    "B": pd.Timedelta(days=3),
    "D": pd.Timedelta(days=1),
    "h": pd.Timedelta(hours=1),
    "min": pd.Timedelta(minutes=1),
}


def _calendar_with_gaps(index: pd.DatetimeIndex, notes: list[str]) -> str | None:
    """The coarsest calendar (month starts, business days, ...) on which every date lies,
    with at most as many dates missing as present; None when there is none. Its gaps are
    counted in a note: they stay gaps, never filled in."""
    week = f"W-{index[0].day_name()[:3].upper()}"
    span = index[-1] - index[0]
    for alias in (*CALENDARS[:6], week, *CALENDARS[6:]):
        if span / _LONGEST.get(alias, _LONGEST["W"]) > 2 * len(index):
            continue  # the grid alone would hold more than twice the dates: not built
        grid = pd.date_range(index[0], index[-1], freq=alias)
        if len(grid) > 2 * len(index) or not index.isin(grid).all():
            continue
        missing = grid[~grid.isin(index)]
        name = _NAMES.get(alias, "weekly")
        notes.append(
            f"Dates are {name} ({alias}) with {len(missing)} missing (the first "
            f"{when(missing[0])}); each row is one step for the network, and future dates "
            f"follow the {name} calendar."
        )
        return pd.tseries.frequencies.to_offset(alias).freqstr
    return None


def when(stamp, zone: str | None = None) -> str:
    """A date in few words: without its time at midnight; a row number as it is. A date held
    in UTC (see :func:`localize`) is shown in the data's ``zone``."""
    if not isinstance(stamp, pd.Timestamp):
        return f"row {stamp}"
    if zone is not None:
        stamp = localize(pd.DatetimeIndex([stamp]), zone)[0]
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def _in_words(step: pd.Timedelta) -> str:
    days = step / pd.Timedelta(days=1)
    if days >= 1 and days.is_integer():
        return "1 day" if days == 1 else f"{int(days)} days"
    return str(step)


def _step_alias(step: pd.Timedelta) -> str:
    """'D' rather than '24h' for whole days, so the season can be inferred from it."""
    day = pd.Timedelta(days=1)
    if step >= day and step % day == pd.Timedelta(0):
        days = step // day
        return "D" if days == 1 else f"{days}D"
    return pd.tseries.frequencies.to_offset(step).freqstr
