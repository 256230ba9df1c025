"""What a fitted model is given after training: newer observations to forecast from, and
the future values of the columns known ahead, from a file or from the rows after the data.

Everything is checked before any network runs: the columns, the frequency, the series the
model knows, and that the future values cover every date the forecast needs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from rnncast.config import FitConfig, check_forecast_steps
from rnncast.data.ahead import Known, check_future_dates
from rnncast.data.dates import daily_or_longer, in_zone, parse_dates, wall_clock, when
from rnncast.data.io import read_table
from rnncast.data.load import load
from rnncast.data.prepared import PreparedData
from rnncast.data.split import Split
from rnncast.errors import ConfigError, DataError


def known_spec(data: PreparedData) -> Known:
    """The known inputs of fitted ``data``, to prepare new data the same way."""
    static = tuple(data.static or ())
    spec = data.static or None
    return Known(data.user_known, data.calendar or None, data.holidays, static, spec)


def new_observations(source: Any, fitted: PreparedData, cfg: FitConfig) -> PreparedData:
    """Newer data prepared as the fitted data was: the same columns and frequency, and
    with many series only series the model knows (each keeps its scaler's row)."""
    fresh = load(
        source,
        fitted.targets,
        fitted.date,
        fitted.features,
        cfg.missing,
        id=fitted.id_column,
        known=known_spec(fitted),
        wide=fitted.wide,
    )
    if fitted.freq and fresh.freq != fitted.freq:
        why = "give data at the frequency the model was fitted on"
        if fitted.zone == "UTC" and fresh.zone != "UTC" and daily_or_longer(fresh.freq):
            # before commit 91f5a40 local days, months, ... were read in UTC: month starts
            # east of UTC became month ends at 23:00; the same data now step on their own clock
            why += (
                "; if these are the data it was fitted on, it was saved by an earlier "
                "rnncast, which read such dates in UTC: fit a new model on them"
            )
        raise DataError(
            f"The new data's frequency is {fresh.freq!r}, the model's {fitted.freq!r}; {why}."
        )
    if fitted.date and fitted.zone is None and fresh.zone and daily_or_longer(fitted.freq):
        fresh = fresh.on_own_clock()  # days or longer without a zone: dates as their clock
    if fitted.date and (fresh.zone is None) != (fitted.zone is None):
        given = f"in time zone {fresh.zone}" if fresh.zone else "without a time zone"
        wanted = f"in time zone {fitted.zone}" if fitted.zone else "without one"
        raise DataError(
            f"The new data's dates are {given}, the model's were {wanted}; write them the "
            "same way, so that each date is the same moment."
        )
    if fresh.zone != fitted.zone:  # the same moments; written and read in the model's zone
        if fitted.calendar or fitted.holidays:
            raise DataError(
                f"The new data's dates are in time zone {fresh.zone}, the model's were in "
                f"{fitted.zone}, whose clock its calendar inputs read; write them in "
                f"{fitted.zone}."
            )
        fresh = dataclasses.replace(fresh, zone=fitted.zone)
    if fitted.ids:
        unknown = [name for name in fresh.ids if name not in fitted.ids]
        if unknown and fitted.wide:
            raise DataError(
                f"Column {unknown[0]!r} of the new wide table is a series the model does not "
                "know; leave the column out or fit a model on it."
            )
        if unknown:
            raise DataError(
                f"Series {unknown[0]!r} of the new data is not one the model knows (column "
                f"{fitted.id_column!r}); leave it out or fit a model on it."
            )
    return fresh


def series_of(data: PreparedData, g: int, fitted: PreparedData) -> PreparedData:
    """Series ``g`` of new ``data``, with the scaler row of the same series in ``fitted``."""
    part = data.series(g)
    if data.ids:
        part.group = fitted.ids.index(data.ids[g])
    return part


def attach_future(data: PreparedData, source: Any) -> PreparedData:
    """``data`` with the future values of its known columns read from ``source`` (a path or
    a DataFrame: the date, the id with many series, every known column the user gives)."""
    if not data.user_known:
        raise ConfigError(
            "The model has no known columns to take future values of; leave out --future "
            "(calendar and holiday inputs need no file)."
        )
    raw = read_table(source)
    date, id_column = data.date, data.id_column
    for name in (date, id_column, *data.user_known):
        if name and name not in raw.columns:
            raise DataError(
                f"The future file has no column {name!r}; it needs the date, "
                f"{'the id, ' if id_column else ''}and every known column: "
                f"{', '.join(data.user_known)}."
            )
    if date is None:
        raise ConfigError("Future values need dates; the model was fitted without a date column.")
    frame = raw[[c for c in (id_column, *data.user_known) if c]].copy()
    frame.index, given = parse_dates(raw[date], date, [])
    if data.zone is None and given is not None and daily_or_longer(data.freq):
        frame.index = wall_clock(frame.index, given)  # as new observations are read
    if data.zone is not None and given is None:  # the data zone's clock
        try:
            frame.index = frame.index.tz_localize(data.zone).tz_convert(None)
        except (ValueError, TypeError):
            raise DataError(
                f"The future file's dates have no time zone, and one of them is not one moment "
                f"in the data's zone {data.zone} (summer time skips or repeats it); write "
                "them with their offset."
            ) from None
    for name in data.user_known:
        frame[name] = _numbers(frame[name], name, data.zone)
    if not data.ids:
        data.future = _checked(frame.sort_index()[list(data.user_known)], data, None)
        return data
    futures = []
    for g, name in enumerate(data.ids):
        rows = frame[frame[id_column].astype(str) == name].sort_index()
        futures.append(
            _checked(rows[list(data.user_known)], data.series(g), name) if len(rows) else None
        )
    data.futures = tuple(futures)
    return data


def _numbers(column: pd.Series, name: str, zone: str | None) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        k = int(np.argmax(bad.to_numpy()))
        raise DataError(
            f"The future value of {name!r} on {when(column.index[k], zone)} is not a number: "
            f"{column.iloc[k]!r}."
        )
    return values.astype("float64")


def _checked(future: pd.DataFrame, part: PreparedData, series: str | None) -> pd.DataFrame:
    where = f" of series {series!r}" if series is not None else ""
    try:
        check_future_dates(part.frame.index, future.index, part.freq, part.zone)
    except DataError as exc:
        raise DataError(f"{exc.raw()[:-1]}{where}.") from None
    return future


def check_known_ahead(data: PreparedData, need: int) -> None:
    """The known columns must have values on each of the ``need`` dates after the data."""
    if not data.known or need <= 0:
        return
    values = data.known_ahead(need)  # (need, K)
    holes = np.isnan(values)
    if not holes.any():
        return
    row, col = np.argwhere(holes)[0]
    dates = data.dates_after(need)
    where = f" of series {data.name!r}" if data.name is not None else ""
    raise DataError(
        f"The forecast needs the known column {data.known[col]!r}{where} on the {need} dates "
        f"{when(dates[0], data.zone)} .. {when(dates[-1], data.zone)}; it has no value on "
        f"{when(dates[row], data.zone)}. Give "
        "the future values with --future or as rows after the data "
        "with the target empty."
    )


def check_forecast(data: PreparedData, usable: list[int], cfg: FitConfig, steps: int) -> None:
    """What a forecast of ``steps`` past ``data`` needs, checked before any training: past
    covariates reach one horizon at most, and the known columns have values on every date
    it needs (of every series the model forecasts)."""
    check_forecast_steps(steps, "forecast_steps")
    if not cfg.contiguous:
        raise ConfigError(
            f"With --horizon {','.join(map(str, cfg.steps))} the forecast holds exactly those "
            "steps; leave out --forecast N (forecast.png shows them)."
        )
    check_past_covariates(data.features, steps, cfg.max_step)
    reach = 1 if cfg.resolved_strategy() == "recursive" else cfg.max_step
    for g in usable:
        check_known_ahead(data.series(g), max(steps, reach))


def check_past_covariates(features: Sequence[str], steps: int, horizon: int) -> None:
    """Past covariates are known up to the forecast origin only: one horizon at most."""
    if features and steps > horizon:
        raise ConfigError(
            f"Forecasting {steps} steps needs the future of --features "
            f"{','.join(features)}, which are known up to the forecast origin only; "
            f"forecast at most --horizon ({horizon}) steps, or give them as --known "
            "columns with their future values."
        )


def scored_part(
    fresh: PreparedData, fitted: PreparedData, n_train: int, since: Any, cfg: FitConfig
) -> Split:
    """The split of newer observations of one series for ``evaluate``: the rows from
    ``since`` on are scored (by default those after the fitted series' training rows, which
    the model never learned from); the rows before are history only."""
    index = fresh.frame.index
    given = since is not None  # the user's date is read in the data's zone; ours is held in UTC
    if since is None:
        if n_train >= len(fitted.frame):
            raise DataError("The model was trained on every row it was given; name --since.")
        since = fitted.frame.index[n_train]
    if isinstance(index, pd.DatetimeIndex):
        try:
            if isinstance(since, int | np.integer):
                raise TypeError  # a row number does not name a date
            since = pd.Timestamp(since)
        except (TypeError, ValueError):
            raise ConfigError(f"--since {since!r} is not a date.") from None
        if given:
            since = in_zone(since, fresh.zone, "--since", index)
            since = since if since.tzinfo is None else since.tz_convert(None)
    elif not isinstance(since, int | np.integer):
        raise ConfigError("Without dates --since is a row number of the new data.")
    start, shown = int(index.searchsorted(since)), when(since, fresh.zone)
    where = f" of series {fresh.name!r}" if fresh.name is not None else ""
    if start < cfg.history:
        raise DataError(
            f"Scoring from {shown} needs {cfg.history} rows before it (--lookback); "
            f"the new data{where} has {start}. Give earlier rows or a later --since."
        )
    if len(index) - start < cfg.max_step:
        raise DataError(
            f"The new data{where} has {len(index) - start} rows from {shown} on, fewer "
            f"than --horizon {cfg.max_step}; give newer rows or an earlier --since."
        )
    return Split(start, 0, len(index) - start)


def scored_dates(fresh: PreparedData, split: Split) -> dict[str, Any]:
    """What ``evaluate`` scored, for the metrics and the terminal."""
    index = fresh.local(fresh.frame.index)
    return {"from": when(index[split.test_start]), "to": when(index[-1]), "rows": split.n_test}
