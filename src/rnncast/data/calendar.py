"""Inputs made from the dates alone, so they are known for any future date: calendar
positions (day of week, month, ...) as sine and cosine pairs, and public holidays from the
``holidays`` package.

A position on a cycle is encoded as a point on the unit circle, so that December sits next
to January and Sunday next to Monday, in two columns whatever the cycle's length (one-hot
would need 12 or 24).

>>> import pandas as pd
>>> days = pd.date_range("2024-12-23", periods=4, freq="D")
>>> frame = calendar_frame(days, ("dow",), "AU")
>>> list(frame.columns), frame["holiday"].tolist()
(['dow_sin', 'dow_cos', 'holiday'], [0.0, 0.0, 1.0, 1.0])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import holidays as package
import numpy as np
import pandas as pd

from rnncast.errors import ConfigError, DataError, closest

# name -> (position of a date on its cycle, length of the cycle)
PARTS = {
    "hour": (lambda d: d.hour + d.minute / 60, 24.0),
    "dow": (lambda d: d.day_of_week + d.hour / 24, 7.0),
    "dom": (lambda d: d.day - 1, 31.0),
    "doy": (lambda d: d.day_of_year - 1, 365.25),
    "week": (lambda d: d.isocalendar().week.to_numpy(dtype=float) - 1, 52.18),
    "month": (lambda d: d.month - 1, 12.0),
    "quarter": (lambda d: d.quarter - 1, 4.0),
}

# name -> the position's formula in words, for those who compute the columns elsewhere (an
# ONNX consumer); each part is the sine and cosine of 2 pi position / cycle
POSITIONS = {
    "hour": "hour + minute / 60",
    "dow": "day of week (Monday 0) + hour / 24",
    "dom": "day of month - 1",
    "doy": "day of year - 1",
    "week": "ISO week - 1",
    "month": "month - 1",
    "quarter": "quarter - 1",
}


def describe_calendar(parts: Sequence[str], holidays: str | None) -> dict[str, str]:
    """Each column :func:`calendar_frame` makes, and how, in words."""
    out = {}
    for part in parts:
        cycle = PARTS[part][1]
        for wave in ("sin", "cos"):
            out[f"{part}_{wave}"] = f"{wave}(2 pi ({POSITIONS[part]}) / {cycle:g})"
    if holidays:
        out["holiday"] = f"1 on a public holiday of {holidays} (python-holidays), else 0"
    return out


# The parts that vary at a frequency (its pandas alias without a multiple or anchor).
DEFAULTS = {
    "min": ("hour", "dow"),
    "h": ("hour", "dow"),
    "D": ("dow", "doy"),
    "B": ("dow", "doy"),
    "W": ("week",),
    "MS": ("month",),
    "ME": ("month",),
    "M": ("month",),
    "QS": ("quarter",),
    "QE": ("quarter",),
    "Q": ("quarter",),
}


def calendar_parts(spec: str | Sequence[str] | bool | None, freq: str | None) -> tuple[str, ...]:
    """The calendar parts asked for: a list of names, or ``"auto"``/True for the frequency's
    defaults; empty when none is asked for."""
    if spec is None or spec is False or spec == "" or spec == ():
        return ()
    if freq is None:
        raise ConfigError("--calendar needs a date column: calendar inputs are made from dates.")
    if spec is True or spec == "auto":
        base = _base(freq)
        if base not in DEFAULTS:
            raise ConfigError(
                f"No calendar inputs vary at frequency {freq!r}; leave out --calendar or name "
                f"the parts ({', '.join(PARTS)})."
            )
        return DEFAULTS[base]
    names = tuple(s.strip() for s in spec.split(",")) if isinstance(spec, str) else tuple(spec)
    for name in names:
        if name not in PARTS:
            raise ConfigError(
                f"Unknown calendar part {name!r}.{closest(name, list(PARTS))} "
                f"Parts: {', '.join(PARTS)} (or auto)."
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"--calendar names a part twice: {', '.join(names)}.")
    return names


def _base(freq: str) -> str:
    """'2h' -> 'h', 'W-SUN' -> 'W', 'QS-JAN' -> 'QS'."""
    return freq.lstrip("0123456789").split("-")[0]


def calendar_columns(parts: Sequence[str], holidays: str | None) -> list[str]:
    """The names of the columns :func:`calendar_frame` makes."""
    names = [f"{p}_{t}" for p in parts for t in ("sin", "cos")]
    return names + (["holiday"] if holidays else [])


def calendar_frame(
    dates: pd.DatetimeIndex, parts: Sequence[str], holidays: str | None
) -> pd.DataFrame:
    """The calendar columns of ``dates``: a sine and a cosine per part, and ``holiday``
    (1.0 on a public holiday of the country or subdivision ``holidays``, e.g. ``AU-VIC``)."""
    columns = {}
    for part in parts:
        position, cycle = PARTS[part]
        angle = 2 * np.pi * np.asarray(position(dates), dtype=float) / cycle
        columns[f"{part}_sin"], columns[f"{part}_cos"] = np.sin(angle), np.cos(angle)
    if holidays:
        days = pd.DatetimeIndex(dates).normalize()
        found = holiday_dates(holidays, tuple(sorted(set(days.year))))
        columns["holiday"] = days.isin(found).astype(float)
    return pd.DataFrame(columns, index=dates)


@functools.cache  # asked again for the same years by every series of a panel
def holiday_dates(code: str, years: tuple[int, ...]) -> pd.DatetimeIndex:
    """Public holidays of ``code`` (a country, ``AU``, or a subdivision, ``AU-VIC``) in
    ``years``, computed by the ``holidays`` package (no network)."""
    country, _, subdiv = code.strip().partition("-")
    try:
        found = package.country_holidays(
            country.upper(), subdiv=subdiv.upper() or None, years=list(years)
        )
    except NotImplementedError as exc:
        raise ConfigError(
            f"--holidays {code!r}: {exc}. Give an ISO country code, optionally with a "
            "subdivision: US, AU-VIC, DE-BY."
        ) from None
    return pd.DatetimeIndex(sorted(found.keys()))


def check_calendar_names(columns: Sequence[str], parts: Sequence[str], holidays) -> None:
    """A calendar column must not shadow a column of the data."""
    for name in calendar_columns(parts, holidays):
        if name in columns:
            raise DataError(
                f"The data already has a column {name!r}, which --calendar/--holidays would "
                "make; rename it."
            )
