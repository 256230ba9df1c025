"""Many series in long format: one global model, a scaler per series, per-series splits and
scores, and forecasts for every series (short ones by a flagged fallback).

A series is *used* when its training part holds at least one full window (lookback +
horizon rows); the others are listed in the run summary and skipped — an error only when
none is left.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from rnncast.config import FitConfig
from rnncast.data.dates import when
from rnncast.data.prepared import PreparedData
from rnncast.data.split import Split
from rnncast.data.windows import Spans, Windows, origins_between
from rnncast.errors import ConfigError, DataError
from rnncast.evaluation.metrics import METRICS
from rnncast.evaluation.modes import check_history, roll_forward
from rnncast.evaluation.scoring import one_step_origins
from rnncast.forecasting.assess import score_series
from rnncast.forecasting.future import forecast_series, seasonal_naive_forecast
from rnncast.forecasting.known import scored_part, series_of
from rnncast.forecasting.predictor import Predictor
from rnncast.training.loop import History

FALLBACKS = ("seasonal-naive",)


def training_origins(
    p: Predictor,
    data: PreparedData,
    splits: list[Split],
    usable: list[int],
    reach: int,
):
    """The scaled series of every used series stacked into one array, and the training and
    validation window origins into it (no window crosses from one series into the next).
    With ``pad``, a series too short for a whole window is put after copies of its first row
    (:func:`rnncast.data.windows.pad_start`; NaN rows for a trend), enough for two training
    windows where it has the rows. Reference series give training windows only: the
    validation loss (early stopping, a tuning trial's score) is that of the forecast series."""
    arrays, train, val, offset, lookback = [], [], [], 0, p.lookback
    forecast = set(forecast_groups(data, usable))
    for g in usable:
        split = splits[g]
        scaled = p.scaled(data.series(g))
        first = first_origin(p, split.n_train, reach)
        scaled, (shift,) = p.padded(scaled, np.array([first]))
        shift -= first  # rows put before the series
        n = len(scaled)
        train.append(_run(shift, shift + split.n_train, lookback, reach, n, offset, g))
        if split.n_val and g in forecast:
            part = (shift + split.val_start, shift + split.test_start)
            val.append(_run(*part, lookback, reach, n, offset, g))
        arrays.append(scaled)
        offset += n
    values = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)  # (sum T_g, F)
    return values, _spans(train), _spans(val)


def first_origin(p: Predictor, n_train: int, reach: int) -> int:
    """The first training origin of a series with ``n_train`` training rows: the rows the
    network reads, or with ``pad`` earlier where the series is short (two windows where it
    has the rows). A longer window (a trend's) reaches before the series' first row."""
    if not p.pad:
        return p.reads
    return min(p.reads, max(1, n_train - reach - 1))


def _run(first: int, stop: int, lookback: int, reach: int, n: int, offset: int, g: int):
    """(first origin in the stacked array, how many, series) of one part of one series."""
    origins = origins_between(first, stop, lookback, reach, n)
    return (offset + int(origins[0]) if len(origins) else offset, len(origins), g)


def _spans(runs: list[tuple[int, int, int]]) -> Spans:
    if not runs:
        return Spans([], [], [])
    starts, counts, groups = zip(*runs, strict=True)
    return Spans(starts, counts, groups)


def group_of(data: PreparedData, series: str | None) -> int:
    """The row of a series in the scaler: 0 for a single series."""
    ids = data.ids
    if not ids:
        if series is not None:
            raise ConfigError("This model was fitted on one series; leave out `series`.")
        return 0
    if series is None:
        raise ConfigError(f"This model covers {len(ids)} series; name one with `series=`.")
    if str(series) not in ids:
        raise DataError(
            f"Unknown series {series!r}; the model knows {len(ids)} series from "
            f"column {data.id_column!r}."
        )
    return ids.index(str(series))


def skipped(data: PreparedData, splits: list[Split], usable: list[int]) -> list[str]:
    """The names of the series to forecast that are too short to train on (``usable``: the
    series forecast)."""
    ref = set(data.reference)
    return [data.ids[g] for g in range(len(splits)) if g not in usable and data.ids[g] not in ref]


def forecast_groups(data: PreparedData, usable: list[int]) -> list[int]:
    """The series of ``usable`` that are forecast: all but the reference series."""
    if not data.reference:
        return list(usable)
    ref = set(data.reference)
    return [g for g in usable if data.ids[g] not in ref]


# -- forecasts -------------------------------------------------------------------------------
def forecast_panel(
    p: Predictor,
    cfg: FitConfig,
    season: int,
    data: PreparedData,
    splits: list[Split],
    usable: list[int],
    steps: int | None,
    interval: float | None,
    now: PreparedData | None = None,
) -> pd.DataFrame:
    """Every used series' forecast in long format, and with ``fallback`` every other series'
    seasonal-naive forecast; the ``forecast_by`` column says which is which. ``now``: newer
    observations of some or all series, to forecast those series from."""
    frames, ref = [], set(data.reference)
    for g, part in _latest(data, now):
        if part.name in ref:  # they train the model only
            continue
        if g in usable:
            history = part if now is not None else None
            frame = forecast_series(p, cfg, data.series(g), splits[g], steps, interval, history)
            frame.insert(len(frame.columns), "forecast_by", "model")
        elif cfg.fallback == "seasonal-naive" and len(part.frame) > 0:
            frame = seasonal_naive_forecast(cfg, season, part, steps)
        else:
            continue
        frame.insert(0, data.id_column, part.name)
        frames.append(frame)
    if not frames:
        raise DataError("None of the series given is one the model can forecast.")
    return pd.concat(frames, ignore_index=True)


def check_wide(data: PreparedData, option: str = "wide") -> None:
    """Refuse a wide forecast (asked for by ``option``) of a model that has no panel to lay
    out, or several targets."""
    if not data.ids:
        raise ConfigError(
            f"`{option}` lays out a forecast of many series, a column each; this model "
            f"forecasts one series: leave out `{option}`."
        )
    if len(data.targets) != 1:
        raise ConfigError(
            f"A wide forecast holds one target per series; this model forecasts "
            f"{len(data.targets)} ({', '.join(data.targets)}): leave out `{option}`."
        )


def wide_forecast(frame: pd.DataFrame, data: PreparedData, option: str = "wide") -> pd.DataFrame:
    """A panel's forecast (:func:`forecast_panel`) laid out wide, as ``--wide`` reads a table:
    the date (or ``step``) column, then each series' forecast in a column named by its id,
    followed by its bounds or quantiles as ``{id}_lower``, ``{id}_upper``, ``{id}_q0.1``. A
    date that a series has no forecast for (its data ended earlier or later) is left blank.
    ``forecast_by`` is left out: the long forecast says which series the fallback made."""
    check_wide(data, option)
    time, target = data.date or "step", data.targets[0]
    parts = [c for c in frame.columns if c not in (data.id_column, time, "forecast_by")]
    ids = list(dict.fromkeys(frame[data.id_column]))
    names = [
        str(i) if part == target else f"{i}_{part}" for i in ids for part in parts
    ]  # the series' forecast, then its bounds and quantiles
    counts = Counter([time, *names])
    clash = next((n for n, k in counts.items() if k > 1), None)
    if clash is not None:
        raise ConfigError(
            f"A wide forecast would hold two columns named {clash!r} (a series id, the date, "
            f"or a bound's name); leave out `{option}`, or rename the series."
        )
    table = frame.pivot(index=time, columns=data.id_column, values=parts)
    table = table[[(part, i) for i in ids for part in parts]]
    table.columns = names
    return table.reset_index()


def fallback_note(frame: pd.DataFrame, data: PreparedData) -> str | None:
    """The line naming the series of a long forecast that the fallback made, if any."""
    by = frame.get("forecast_by")
    if by is None or (by == "model").all():
        return None
    names = ", ".join(map(str, frame.loc[by != "model", data.id_column].unique()))
    return f"Forecast by the seasonal-naive fallback (too short for the model): {names}."


def _latest(data: PreparedData, now: PreparedData | None):
    """(scaler row, series) of the fitted series, or of the newer observations."""
    if now is None:
        return ((g, data.series(g)) for g in range(data.n_series))
    return ((data.ids.index(name), series_of(now, k, data)) for k, name in enumerate(now.ids))


# -- scores ----------------------------------------------------------------------------------
def score_panel(
    p: Predictor,
    cfg: FitConfig,
    season: int,
    data: PreparedData,
    splits: list[Split],
    usable: list[int],
    history: History | None,
):
    """Per-series metrics, their mean over series, the mean MASE and the share of series on
    which the model beats the seasonal naive forecast (one-step RMSE)."""

    def scored_one(g, recursive=None, one_step=None):
        part = data.series(g)
        return score_series(p, cfg, season, part, splits[g], history, recursive, one_step)

    per = {}
    scored = scored_groups(cfg, season, splits, usable)
    recursive = recursive_tests(p, data, splits, scored) if p.free_running else {}
    one_step = one_step_tests(p, data, splits, scored)
    for g in scored:
        per[data.series(g).name] = scored_one(g, recursive.get(g), one_step.get(g))
    if per:
        first = next(iter(per.values()))
    else:  # not one series scored: the header of one, without a test part
        s = splits[usable[0]]
        first = score_series(
            p, cfg, season, data.series(usable[0]), Split(s.n_train, s.n_val, 0), history
        )
    own = ("test", "skill_rmse", "skill_rmse_recursive", "interval", "known_inputs", "quantiles")
    metrics = {k: v for k, v in first.items() if k not in own}  # the run's header
    metrics.update(
        n_train=sum(s.n_train for s in splits),
        n_val=sum(s.n_val for s in splits),
        n_test=sum(s.n_test for g, s in enumerate(splits) if data.ids[g] not in data.reference),
        n_series=len(splits) - len(data.reference),
        n_series_used=len(usable),
        n_series_scored=len(per),
        n_series_skipped=len(skipped(data, splits, usable)),
    )
    if data.reference:
        metrics["n_series_reference"] = len(data.reference)
    scored = [m for m in per.values() if m["test"] is not None]
    metrics["test"] = _mean_blocks([m["test"] for m in scored]) if scored else None
    for key in ("skill_rmse", "skill_rmse_recursive"):
        metrics[key] = _mean([m[key] for m in scored])
    metrics["aggregate"] = _aggregate(scored)
    quantiles = [m["quantiles"] for m in scored if m.get("quantiles")]
    if quantiles:
        metrics["quantiles"] = pooled_quantiles(quantiles)
    conformal = [m["interval"] for m in scored if m.get("interval")]
    if conformal:
        metrics["interval"] = pooled_intervals(conformal)
    if first.get("known_inputs"):
        metrics["known_inputs"] = first["known_inputs"]
    metrics["series"] = series_table(per, data.id_column)
    return metrics


def scored_groups(cfg: FitConfig, season: int, splits: list[Split], usable: list[int]):
    """The series whose test part is scored: it holds a horizon, and a season of rows comes
    before it (the seasonal naive forecast's; only a short series with ``pad`` lacks one)."""
    return [
        g for g in usable if splits[g].n_test >= cfg.max_step and splits[g].test_start >= season
    ]


def test_forecasts(p: Predictor, data, splits: list[Split], groups: list[int]) -> dict[str, dict]:
    """The test forecasts of every series of ``groups`` in original units, batched across
    series: series name -> what :func:`rnncast.forecasting.assess.test_forecasts` gives for
    one series, plus ``dates``, the test part's dates (or rows) in the data's zone."""
    one_step = one_step_tests(p, data, splits, groups)
    recursive = recursive_tests(p, data, splits, groups) if p.free_running else {}
    out = {}
    for g in groups:
        part, split = data.series(g), splits[g]
        y = part.frame.to_numpy()[:, p.targets]
        origins = _test_origins(p, data, splits, g)
        out[part.name] = {
            "origins": origins,
            "actual": y[origins[:, None] + np.asarray(p.steps) - 1],
            "one_step": one_step[g],
            "recursive": recursive.get(g),
            "recursive_actual": y[split.test_start :],
            "history": y,
            "split": split,
            "dates": part.local(part.frame.index)[split.test_start :],
        }
    return out


def series_table(per: dict[str, dict], id_column: str | None) -> pd.DataFrame:
    """One row per scored series, one column per number of its metrics (``one_step.model.rmse``
    ...; steps one by one are left out): a run keeps it as ``series_metrics.csv`` so that
    ``metrics.json`` stays the same size however many series there are."""
    rows = []
    for name, m in per.items():
        row = {id_column or "series": name}
        row.update(_numbers(m.get("test") or {}, ""))
        row.update({k: m.get(k) for k in ("skill_rmse", "skill_rmse_recursive")})
        if m.get("quantiles"):
            row["quantile_coverage"] = m["quantiles"]["one_step"]["coverage"]
        for mode in ("one_step", "recursive"):
            if (m.get("interval") or {}).get(mode):
                row[f"interval_coverage_{mode}"] = m["interval"][mode]["coverage"]
        rows.append(row)
    return pd.DataFrame(rows)


def pooled_quantiles(blocks: list[dict]) -> dict[str, Any]:
    """The quantile scores of many series pooled over their test points: coverage and the
    share below each quantile (free of units); width and pinball loss are in each series'
    own units, so they are kept per series only."""
    parts = [b["one_step"] for b in blocks]
    points = np.array([p["points"] for p in parts], dtype=np.float64)
    weights = points / points.sum() if points.sum() else points
    below = [float(np.dot(weights, col)) for col in zip(*(p["below"] for p in parts), strict=True)]
    return {
        **{k: blocks[0][k] for k in ("levels", "method", "nominal")},
        "series": len(blocks),
        "one_step": {**_pooled_coverage(parts), "below": below, "pinball": None},
    }


def pooled_intervals(blocks: list[dict]) -> dict[str, Any]:
    """The conformal intervals of many series (each calibrated on its own validation part)
    pooled over their test points, in both modes: coverage overall; widths per series."""
    out = {**{k: blocks[0][k] for k in ("level", "method")}, "series": len(blocks)}
    for mode in ("one_step", "recursive"):
        parts = [b[mode] for b in blocks if b.get(mode)]
        if parts:
            out[mode] = _pooled_coverage(parts)
    return out


def _pooled_coverage(parts: list[dict]) -> dict[str, Any]:
    """Coverage of several series' interval scores over all their points (a series weighs
    by its points); the width, in each series' own units, is left to the series."""
    points = np.array([p["points"] for p in parts], dtype=np.float64)
    covered = [p["coverage"] or 0.0 for p in parts]
    total = points.sum()
    coverage = float(np.dot(points, covered) / total) if total else None
    return {"coverage": coverage, "width": None, "points": int(total)}


def _numbers(block: dict, prefix: str) -> dict[str, float | None]:
    """The numbers of a nested metrics block under dotted names; lists are left out."""
    out: dict[str, float | None] = {}
    for key, value in block.items():
        if isinstance(value, dict):
            out.update(_numbers(value, f"{prefix}{key}."))
        elif value is None or isinstance(value, (int, float)):
            out[f"{prefix}{key}"] = value
    return out


def one_step_tests(p: Predictor, data, splits: list[Split], groups: list[int]) -> dict:
    """The one-step forecasts of every series' test windows, many series per network call
    (up to ``ONE_STEP_CHUNK`` windows), not one call per series.

    Returns:
        Series -> forecasts (N_g, S, C) in original units.
    """
    out, chunk, xs, rows, total = {}, [], [], [], 0
    todo = [g for g in groups if splits[g].n_test]
    if p.step_by_step:  # rolled over each series' known values
        return {g: p.one_step(data.series(g), _test_origins(p, data, splits, g)) for g in todo}
    for k, g in enumerate(todo):
        part = data.series(g)
        origins = _test_origins(p, data, splits, g)
        values, at = p.padded(p.scaled(part), origins)
        w = Windows(values, p.lookback, p.steps, p.inputs, p.targets, at)
        chunk.append(g)
        xs.append(w.arrays()[0])  # (N_g, L, F_in)
        rows.append(p.rows(origins))
        total += len(origins)
        if total >= ONE_STEP_CHUNK or k == len(todo) - 1:
            sizes = [len(x) for x in xs]
            block = p.at_steps(np.concatenate(xs), np.repeat(chunk, sizes))  # (sum N_g, S, C)
            parts = zip(chunk, np.split(block, np.cumsum(sizes)[:-1]), rows, strict=True)
            for h, scaled, at in parts:
                out[h] = p.original(scaled, data.series(h), at)
            chunk, xs, rows, total = [], [], [], 0
    return out


def _test_origins(p: Predictor, data, splits: list[Split], g: int) -> np.ndarray:
    return one_step_origins(splits[g], len(data.series(g).frame), p.history, p.max_step)


ONE_STEP_CHUNK = 256  # windows per network call: few calls for many short series, little memory


def recursive_tests(p: Predictor, data, splits: list[Split], groups: list[int]) -> dict:
    """The free-running forecast of every series' test part, all series rolled forward
    together in one batch (one network call per step, not one per step and series).

    The series are laid end to end, each followed by enough empty rows that no window of it
    reaches the next; a series leaves the batch once its test part is forecast, so the batch
    does only the work of the series' own test parts (on the 146 US employment series, half
    of what rolling every series to the longest part did).

    Returns:
        Series -> forecasts (n_test, C) in original units.
    """
    if not groups:
        return {}
    if p.known:  # each series' last block ends with its known values (see roll_forward)
        return {
            g: p.recursive(data.series(g), splits[g].test_start, splits[g].n_test) for g in groups
        }
    steps = max(splits[g].n_test for g in groups)
    pad = -(-steps // p.max_step) * p.max_step  # the rows roll_forward may fill
    blocks, origins, offset = [], [], 0
    for g in groups:
        check_history(splits[g].test_start, p.history)
        start = np.array([splits[g].test_start])
        scaled, (start,) = p.padded(p.scaled(data.series(g)), start)  # (T_g, F)
        blocks += [scaled, np.zeros((pad, scaled.shape[1]), scaled.dtype)]
        origins.append(offset + start)
        offset += len(scaled) + pad
    which = np.asarray(groups)
    out = roll_forward(
        np.concatenate(blocks),  # (sum of T_g + pad, F)
        np.asarray(origins),
        np.array([splits[g].n_test for g in groups]),  # a series leaves once its part is done
        lambda windows, rows: p.run(windows, which[rows]),
        p.lookback,
        p.max_step,
        p.inputs,
        p.targets,
        blank=p.blank,
    )  # (G, steps, C), scaled
    return {
        g: p.original(out[k, : s.n_test], data.series(g), s.test_start + np.arange(s.n_test))
        for k, (g, s) in enumerate((g, splits[g]) for g in groups)
    }


def _aggregate(scored: list[dict]) -> dict[str, Any]:
    if not scored:
        return {"mean_mase": None, "share_beating_seasonal_naive": None}
    blocks = [m["test"]["one_step"] for m in scored]
    beats = [b["model"]["rmse"] < b["seasonal_naive"]["rmse"] for b in blocks]
    return {
        "mean_mase": _mean([b["model"]["mase"] for b in blocks]),
        "mean_mase_seasonal_naive": _mean([b["seasonal_naive"]["mase"] for b in blocks]),
        "share_beating_seasonal_naive": float(np.mean(beats)),
        "series": len(blocks),
    }


def _mean_blocks(tests: list[dict]) -> dict[str, Any]:
    """The mean over series of every metric, mode by mode and forecaster by forecaster."""
    out: dict[str, Any] = {}
    for mode in ("one_step", "recursive"):
        blocks = [t[mode] for t in tests if t.get(mode) is not None]
        if not blocks:
            out[mode] = None
            continue
        out[mode] = _mean_scores(blocks)
        leads = min(len(b["by_step"]) for b in blocks)  # steps every series has
        out[mode]["by_step"] = [
            {
                "step": blocks[0]["by_step"][k]["step"],
                **_mean_scores([b["by_step"][k] for b in blocks]),
            }
            for k in range(leads)
        ]
    return out


def _mean_scores(blocks: list[dict]) -> dict[str, Any]:
    return {
        who: {m: _mean([b[who][m] for b in blocks]) for m in METRICS}
        for who in ("model", "naive", "seasonal_naive")
    }


def _mean(values: list) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def evaluate_panel(
    p: Predictor,
    cfg: FitConfig,
    season: int,
    fitted: PreparedData,
    splits: list[Split],
    fresh: PreparedData,
    since: Any,
) -> dict[str, Any]:
    """Score newer observations of many series (:func:`rnncast.forecasting.known.new_observations`),
    each with its own scaler, from ``since`` (by default each series' first date after its
    fitted training rows)."""
    parts, new_splits, used = [], [], []
    for k, name in enumerate(fresh.ids):
        if name in fitted.reference:  # they train the model only: never scored
            continue
        g = fitted.ids.index(name)
        part = series_of(fresh, k, fitted)
        split = scored_part(part, fitted.series(g), splits[g].n_train, since, cfg)
        parts.append(part)
        new_splits.append(split)
        used.append(len(used))
    if not parts:
        raise DataError("The new data hold only reference series, which are never scored.")
    metrics = score_panel(p, cfg, season, _Parts(fresh, parts), new_splits, used, None)
    first = min(parts[k].frame.index[s.test_start] for k, s in enumerate(new_splits))
    last = max(part.frame.index[-1] for part in parts)
    shown = {"from": when(first, fresh.zone), "to": when(last, fresh.zone)}
    metrics["scored"] = {**shown, "rows": metrics["n_test"]}
    return metrics


class _Parts:
    """New data whose series keep the fitted model's scaler rows."""

    def __init__(self, data: PreparedData, parts: list[PreparedData]) -> None:
        self.ids = tuple(part.name for part in parts)
        self.id_column, self._parts, self.reference = data.id_column, parts, ()

    def series(self, g: int) -> PreparedData:
        return self._parts[g]
