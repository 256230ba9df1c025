"""PNG plots of a run: loss curves, actual against predicted, and the forecast.

Axes carry the date and the target's name; one-step and recursive predictions are labelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # files only, no screen
# Labels hold the user's column names: "$" in one is text, not TeX to parse (and fail on).
matplotlib.rcParams["text.parse_math"] = False
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from rnncast.data.dates import zone_name  # noqa: E402
from rnncast.reports.terminal import model_name  # noqa: E402

if TYPE_CHECKING:
    from rnncast.forecasting.forecaster import Forecaster

COLORS = {"actual": "#222222", "one_step": "#1f77b4", "recursive": "#d62728", "forecast": "#d62728"}


def write_all(f: Forecaster, out: Path, forecast: pd.DataFrame | None) -> list[Path]:
    """Draw every plot of a run into ``out``, ``forecast`` among them (none without one);
    returns the paths."""
    paths = [out / "loss.png", out / "fit.png"]
    plot_loss(f, paths[0])
    plot_fit(f, paths[1])
    if forecast is not None:
        paths.append(out / "forecast.png")
        plot_forecast(f, forecast, paths[2])
    return paths


def plot_loss(f: Forecaster, path: Path) -> None:
    h = f.history_
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = range(1, len(h.train_loss) + 1)
    ax.plot(epochs, h.train_loss, label="train", color=COLORS["one_step"])
    if h.val_loss:
        ax.plot(epochs, h.val_loss, label="validation", color=COLORS["recursive"])
    if h.best_epoch:
        ax.axvline(h.best_epoch, color="grey", ls=":", label=f"weights kept (epoch {h.best_epoch})")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{f.config_.loss} loss (scaled)")
    ax.set_title(f"{_model_name(f)}: training history")
    ax.legend()
    _save(fig, path)


def plot_fit(f: Forecaster, path: Path) -> None:
    """Per target, top: the whole series with one-step predictions; below: the test part in
    both modes."""
    targets = f.data_.targets
    fig, axes = plt.subplots(2 * len(targets), 1, figsize=(11, 7.5 * len(targets)), squeeze=False)
    lead = f.config_.steps[0]
    for k, target in enumerate(targets):
        pred = f.predictions(target)
        if f.data_.ids:  # a many-series run: the first series the model was trained on
            target = f"{target}, {f.data_.ids[f.usable_[0]]}"
        top, bottom = axes[2 * k, 0], axes[2 * k + 1, 0]
        pred = pred.set_axis(clock(pred.index))
        top.plot(pred.index, pred["actual"], color=COLORS["actual"], lw=1, label="actual")
        top.plot(
            pred.index,
            pred["one_step"],
            color=COLORS["one_step"],
            lw=1,
            alpha=0.8,
            label=f"one-step prediction, step {lead} (true history fed in)",
        )
        _shade_parts(top, pred)
        top.set_title(f"{_model_name(f)}: {target}, actual and predicted")
        _plot_test(bottom, pred)
        for ax in (top, bottom):
            ax.set_ylabel(target)
            ax.set_xlabel(date_label(f.data_.date or "row", f.data_.zone))
            if ax.get_legend_handles_labels()[0]:  # an empty test panel has nothing to name
                ax.legend(loc="best", fontsize=8)
    _save(fig, path)


def _plot_test(ax, pred: pd.DataFrame) -> None:
    test = pred[pred["part"] == "test"]
    if not len(test):
        ax.text(0.5, 0.5, "no test part", ha="center", transform=ax.transAxes)
        return
    ax.plot(test.index, test["actual"], color=COLORS["actual"], lw=1.5, label="actual")
    ax.plot(
        test.index,
        test["one_step"],
        color=COLORS["one_step"],
        lw=1.2,
        label="one-step (true history fed in)",
    )
    if test["recursive"].notna().any():
        ax.plot(
            test.index,
            test["recursive"],
            color=COLORS["recursive"],
            lw=1.2,
            ls="--",
            label="recursive (own predictions fed in)",
        )
    ax.set_title("test part")


PANEL_PLOTS = 4  # series drawn from a many-series run


def plot_forecast(f: Forecaster, forecast: pd.DataFrame, path: Path) -> None:
    """The forecast after the recent history: every target, or the first few series."""
    _save(forecast_figure(f, forecast), path)


def forecast_figure(f: Forecaster, forecast: pd.DataFrame):
    """The figure of :func:`plot_forecast`, one panel per target (or series)."""
    panels = list(_forecast_panels(f, forecast))
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 4.5 * len(panels)), squeeze=False)
    for ax, (label, history, rows, lower, upper) in zip(axes[:, 0], panels, strict=True):
        _draw_forecast(ax, f, label, history, rows, lower, upper)
    return fig


def _forecast_panels(f: Forecaster, forecast: pd.DataFrame):
    """(label, history, forecast rows, lower column, upper column) for each panel."""
    data, targets = f.data_, f.data_.targets
    if not data.ids:
        for target in targets:
            lower, upper = _bound_columns(target, len(targets))
            yield (
                target,
                data.frame[target],
                forecast.rename(columns=_renames(f, target, len(targets))),
                lower,
                upper,
            )
        return
    target = targets[0]
    lower, upper = _bound_columns(target, len(targets))
    for g in f.usable_[:PANEL_PLOTS]:
        part = data.series(g)
        rows = forecast[forecast[data.id_column] == part.name]
        yield (
            f"{target}, {part.name}",
            part.frame[target],
            rows.rename(columns=_renames(f, target, len(targets))),
            lower,
            upper,
        )


def _renames(f: Forecaster, target: str, n_targets: int) -> dict[str, str]:
    """The forecast's columns as a panel draws them: the target's ``value``, and its outer
    quantiles ``q_low`` and ``q_high`` where the network forecasts quantiles."""
    out = {target: "value"}
    levels = f.predictor_.quantiles
    if levels:
        prefix = "" if n_targets == 1 else f"{target}_"
        out.update({f"{prefix}q{levels[0]:g}": "q_low", f"{prefix}q{levels[-1]:g}": "q_high"})
    return out


def _draw_forecast(ax, f: Forecaster, label, history, rows, lower, upper) -> None:
    date = f.data_.date or "step"
    recent = history.iloc[-max(4 * len(rows), 3 * f.config_.lookback, 60) :]
    recent = recent.set_axis(f.data_.wall(recent.index))
    if f.data_.date:
        rows = rows.assign(**{date: clock(pd.DatetimeIndex(rows[date]))})
    ax.plot(recent.index, recent.to_numpy(), color=COLORS["actual"], lw=1.2, label="history")
    x = [recent.index[-1], *rows[date]]
    y = [recent.iloc[-1], *rows["value"]]
    ax.plot(
        x,
        y,
        color=COLORS["forecast"],
        lw=1.6,
        marker="o",
        ms=2.5,
        label=f"forecast, {len(rows)} step{'s' if len(rows) != 1 else ''}",
    )
    if lower in rows:
        ax.fill_between(
            rows[date],
            rows[lower],
            rows[upper],
            color=COLORS["forecast"],
            alpha=0.18,
            lw=0,
            label=f"{f.config_.interval:.0%} interval (conformal)",
        )
    if "q_low" in rows:
        low, high = f.predictor_.quantiles[0], f.predictor_.quantiles[-1]
        ax.fill_between(
            rows[date],
            rows["q_low"],
            rows["q_high"],
            facecolor="none",
            edgecolor=COLORS["forecast"],
            hatch="///",
            lw=0,
            label=f"quantiles {low:g} to {high:g} (the network's)",
        )
    ax.plot(
        x,
        [recent.iloc[-1]] * len(x),
        color="grey",
        lw=1,
        ls="--",
        label="naive (last value), for reference",
    )
    m = f.season_
    if m >= 2 and len(history) >= m:  # seasonal data: the forecast one season ago too
        leads = np.asarray(f.predictor_.steps if not f.predictor_.contiguous else [])
        leads = leads if len(leads) == len(rows) else np.arange(1, len(rows) + 1)
        values = history.to_numpy()
        ax.plot(
            rows[date],
            values[len(values) - m + (leads - 1) % m],
            color="#7a5195",
            lw=1,
            ls=":",
            label=f"seasonal naive (a season, {m} rows, earlier), for reference",
        )
    ax.axvline(recent.index[-1], color="grey", ls=":", lw=1)
    if f.data_.known:
        ax.text(
            0.01,
            0.02,
            "known for the forecast dates: " + known_words(f.data_),
            transform=ax.transAxes,
            fontsize=8,
            color="#444444",
        )
    ax.set_title(f"{_model_name(f)}: {label} forecast from {_fmt(recent.index[-1])}")
    ax.set_ylabel(label.split(",")[0])
    ax.set_xlabel(date_label(date, f.data_.zone))
    ax.legend(loc="best", fontsize=8)


def clock(index: pd.Index) -> pd.Index:
    """Dates with a zone as its clock reads them: matplotlib would draw them in UTC."""
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        return index.tz_localize(None)
    return index


def date_label(name: str, zone) -> str:
    """The date axis' label, naming the time zone its times are in."""
    return f"{name} (time zone {zone})" if zone is not None else name


def known_words(data) -> str:
    """The inputs known ahead, in words: the user's columns, the calendar, the holidays."""
    words = list(data.user_known)
    if data.calendar:
        words.append(f"calendar ({', '.join(data.calendar)})")
    if data.holidays:
        words.append(f"{data.holidays} public holidays")
    return ", ".join(words)


def _bound_columns(target: str, n_targets: int) -> tuple[str, str]:
    if n_targets == 1:
        return "lower", "upper"
    return f"{target}_lower", f"{target}_upper"


def _shade_parts(ax, pred: pd.DataFrame) -> None:
    for part, color in (("val", "#ffe9a8"), ("test", "#d9ecff")):
        rows = pred.index[pred["part"] == part]
        if len(rows):
            ax.axvspan(rows[0], rows[-1], color=color, alpha=0.6, lw=0, label=f"{part} part")


def _model_name(f: Forecaster) -> str:
    return model_name(f.config_)


def _fmt(stamp) -> str:
    return stamp.date().isoformat() if hasattr(stamp, "date") else str(stamp)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_leaderboard(board: pd.DataFrame, rank_by: tuple[str, str], path: Path) -> None:
    """Horizontal bars of the ranking metric with one standard deviation as error bars."""
    mode, metric = rank_by
    rows = board[board[f"{mode}_{metric}_mean"].notna()].iloc[::-1]
    colors = {"model": COLORS["one_step"], "ensemble": "#9467bd", "baseline": "#999999"}
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.5))
    ax.barh(
        [str(n) for n in rows.index],
        rows[f"{mode}_{metric}_mean"],
        xerr=rows[f"{mode}_{metric}_std"],
        color=[colors[k] for k in rows["kind"]],
        capsize=3,
    )
    ax.set_xlabel(f"{mode.replace('_', '-')} {metric.upper()} (mean ± sd, original units)")
    ax.set_title(leaderboard_title(set(rows["kind"])))
    _save(fig, path)


def leaderboard_title(kinds: set[str]) -> str:
    """The leaderboard plot's title, naming the colours of the kinds it shows."""
    legend = {"baseline": "grey: baselines", "ensemble": "purple: ensemble"}
    shown = [text for kind, text in legend.items() if kind in kinds]
    return "Leaderboard" + (f" ({', '.join(shown)})" if shown else "")


def plot_backtest(
    frame: pd.DataFrame, folds: list[dict], target: str, path: Path, series: str | None = None
) -> None:
    """The actual series (with many, ``series``) with every fold's recursive forecast over
    its test rows."""
    fig, ax = plt.subplots(figsize=(11, 4.5))
    tz = getattr(frame.index, "tz", None)
    zone = zone_name(tz) if tz is not None else None
    frame = frame.set_axis(clock(frame.index))
    ax.plot(frame.index, frame[target], color=COLORS["actual"], lw=1, label="actual")
    cmap = plt.get_cmap("tab10")
    for k, fold in enumerate(folds):
        fold = {**fold, "index": clock(fold["index"])}
        ax.plot(
            fold["index"],
            fold["forecast"],
            color=cmap(k % 10),
            lw=1.5,
            label=f"fold {k + 1} (recursive)",
        )
        ax.axvline(fold["index"][0], color=cmap(k % 10), ls=":", lw=0.8)
    which = f" of series {series}" if series is not None else ""
    ax.set_title(f"Backtest{which}: {len(folds)} folds, each forecast from its cut-off")
    ax.set_ylabel(target)
    ax.set_xlabel(date_label(frame.index.name or "row", zone))
    ax.legend(loc="best", fontsize=8)
    _save(fig, path)


def plot_columns(frame: pd.DataFrame, missing: dict[str, int], path: Path) -> None:
    """Every numeric column over time, one small panel each (missing values filled)."""
    n = len(frame.columns)
    cols = 2 if n > 1 else 1
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 2.4 * rows + 0.6), squeeze=False)
    for ax, column in zip(axes.ravel(), frame.columns, strict=False):
        ax.plot(clock(frame.index), frame[column], color=COLORS["actual"], lw=0.9)
        gaps = f", {missing[column]} missing" if missing.get(column) else ""
        ax.set_title(f"{column}{gaps}", fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    _save(fig, path)


def plot_acf(acf, n_rows: int, season: int, target: str, path: Path) -> None:
    """Autocorrelation by lag with the approximate 95% band of white noise."""
    fig, ax = plt.subplots(figsize=(9, 3.6))
    lags = range(len(acf))
    ax.bar(lags, acf, color=COLORS["one_step"], width=0.6)
    band = 1.96 / n_rows**0.5
    ax.axhspan(-band, band, color="grey", alpha=0.2, lw=0, label="95% band of white noise")
    for k in range(season, len(acf), season) if season > 1 else ():
        ax.axvline(k, color=COLORS["recursive"], ls=":", lw=1)
    ax.set_xlabel("lag" + (f" (dotted: multiples of the season, {season})" if season > 1 else ""))
    ax.set_ylabel("autocorrelation")
    ax.set_title(f"Autocorrelation of {target}")
    ax.legend(loc="upper right", fontsize=8)
    _save(fig, path)
