"""Forecasts past the last observation of a series, into real future dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnncast.config import FitConfig, check_forecast_steps, check_level
from rnncast.data.dates import dates_after
from rnncast.data.prepared import PreparedData
from rnncast.data.seasonal import first_phase
from rnncast.data.split import Split
from rnncast.errors import ConfigError, DataError
from rnncast.evaluation.intervals import floor_quantiles, floors
from rnncast.evaluation.modes import check_history
from rnncast.forecasting import intervals
from rnncast.forecasting.known import check_known_ahead, check_past_covariates
from rnncast.forecasting.predictor import NO_SEASON, Predictor


def future_index(data: PreparedData, leads: list[int]) -> pd.Index:
    """Dates (in the data's zone) or row numbers of the given leads after the last row of
    one series."""
    return data.local(data.dates_after(max(leads))[np.asarray(leads) - 1])


def steps_after(frame: pd.DataFrame, data: PreparedData, steps) -> pd.Index:
    """The dates of forecast ``steps`` after the last row of ``frame`` (its date column, or
    its dates as index) at the fitted frequency; the step numbers without dates."""
    leads = np.asarray(steps)
    if data.date is None:
        return pd.Index(leads, name="step")
    dates = dates_after(_last_date(frame, data), int(leads.max()), data.freq, data.zone)
    return data.local(dates[leads - 1])


def window_phase(frame: pd.DataFrame, data: PreparedData, lookback: int) -> int:
    """The seasonal phase of the first of the last ``lookback`` rows of ``frame`` (see
    :mod:`rnncast.data.seasonal`), from its last date."""
    if data.date is None:
        raise ConfigError(NO_SEASON)
    return first_phase(pd.DatetimeIndex([_last_date(frame, data)]), data.freq) - (lookback - 1)


def _last_date(frame: pd.DataFrame, data: PreparedData) -> pd.Timestamp:
    dates = frame[data.date] if data.date in frame.columns else frame.index
    try:
        last = pd.Timestamp(pd.to_datetime(pd.Series(dates)).iloc[-1])
    except (TypeError, ValueError):
        raise DataError(
            f"predict() needs the dates of the window: a {data.date!r} column or a date index."
        ) from None
    return last if last.tzinfo is None else last.tz_convert(None)  # held in UTC


def forecast_series(
    p: Predictor,
    cfg: FitConfig,
    data: PreparedData,
    split: Split,
    steps: int | None,
    interval: float | None,
    now: PreparedData | None = None,
) -> pd.DataFrame:
    """The forecast of one series (``data``, split as ``split``): a date column and one
    column per target, with bounds at ``interval`` (or the fitted level) calibrated on
    ``data``'s validation part. ``now``: newer observations of the same series to forecast
    from instead of the end of ``data``."""
    now = data if now is None else now
    n = len(now.frame)
    check_history(n, p.history)
    leads = leads_of(p, steps, "forecast")
    if not p.contiguous:
        check_known_ahead(now, p.reach if not p.step_by_step else p.max_step)
        if p.step_by_step:
            values = p.recursive(now, start=n, steps=p.max_step)[np.asarray(p.steps) - 1]
        else:
            values, (end,) = p.padded(p.scaled(now), np.array([n]))
            x = values[None, end - p.lookback : end][:, :, p.inputs]
            values = p.original(p.at_steps(x, now.group), now, p.rows(np.array([n])))[0]
    else:
        steps = len(leads)
        check_past_covariates(now.features, steps, p.max_step)
        check_known_ahead(now, max(steps, p.reach))
        values = p.recursive(now, start=n, steps=steps)
    frame = pd.DataFrame(values, columns=list(data.targets))
    frame.insert(0, data.date or "step", future_index(now, leads))
    floor = floors(data.frame.to_numpy()[: split.n_train, p.targets])
    level = interval if interval is not None else cfg.interval
    if level is not None:
        check_level(level)
        intervals.check_calibration(split, cfg)
        if p.contiguous:
            half = intervals.recursive_half_widths(p, data, split, level, len(leads))
        else:
            half = intervals.one_step_half_widths(p, data, split, level)
        intervals.add_bounds(frame, list(data.targets), values, half, floor)
    if p.quantiles:
        every = p.quantile_forecasts(now, np.array([n]))[0]  # (S, C, Q) of the window's steps
        every = floor_quantiles(every, p.quantiles, floor)
        add_quantiles(frame, list(data.targets), every[: len(leads)], p.quantiles)
    return frame


def add_quantiles(frame: pd.DataFrame, targets: list[str], every: np.ndarray, levels) -> None:
    """Insert a column per quantile but the median (the target's own column) after each
    target's columns: ``q0.1`` (``{target}_q0.1`` with several targets)."""
    for c, name in enumerate(targets):
        at = frame.columns.get_loc(name) + 1
        bounds = {"lower", "upper", f"{name}_lower", f"{name}_upper"}
        while at < len(frame.columns) and frame.columns[at] in bounds:
            at += 1
        for k, level in enumerate(levels):
            if level != 0.5:
                label = f"q{level:g}" if len(targets) == 1 else f"{name}_q{level:g}"
                frame.insert(at, label, every[:, c, k])
                at += 1


def leads_of(p: Predictor, steps: int | None, what: str) -> list[int]:
    """The leads that a forecast (or an export, ``what``) of ``steps`` holds: a model's set
    of horizon steps, or 1 .. ``steps`` (default: the horizon) where its steps chain."""
    if not p.contiguous:
        if steps is not None:
            raise ConfigError(
                f"With --horizon {','.join(map(str, p.steps))} the {what} holds exactly those "
                "steps; leave out --steps."
            )
        return list(p.steps)
    n = check_forecast_steps(p.max_step if steps is None else steps)
    if p.quantiles and n > p.max_step:
        raise ConfigError(
            f"This model forecasts quantiles of one window's {p.max_step} steps, and {n} were "
            f"asked for; {what} at most {p.max_step} steps, or fit with --horizon {n}."
        )
    return list(range(1, n + 1))


def seasonal_naive_forecast(
    cfg: FitConfig, season: int, data: PreparedData, steps: int | None
) -> pd.DataFrame:
    """The seasonal naive forecast of a series too short for the model, flagged as such."""
    leads = list(cfg.steps) if not cfg.contiguous else list(range(1, (steps or cfg.max_step) + 1))
    season = min(season, len(data.frame))
    y = data.frame[list(data.targets)].to_numpy()
    rows = [len(y) - season + (lead - 1) % season for lead in leads]
    frame = pd.DataFrame(y[rows], columns=list(data.targets))
    frame.insert(0, data.date or "step", future_index(data, leads))
    frame["forecast_by"] = "seasonal-naive (series too short for the model)"
    return frame
