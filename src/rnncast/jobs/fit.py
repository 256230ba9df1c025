"""Fit jobs: train, report as it goes, save the run with its plots and report; resume."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from rnncast.config import FitConfig, check_forecast_steps
from rnncast.data.prepared import as_names
from rnncast.errors import ConfigError
from rnncast.forecasting.forecaster import Forecaster
from rnncast.forecasting.intervals import bounds_note
from rnncast.forecasting.known import check_past_covariates
from rnncast.forecasting.panel import skipped
from rnncast.persistence.checkpoint import FILES as CHECKPOINT_FILES
from rnncast.persistence.checkpoint import check_place, is_checkpoint, read_checkpoint
from rnncast.persistence.files import (
    MARKER,
    atomic_directory,
    check_destination,
    holds_run,
    writer_lock,
)
from rnncast.persistence.runs import write_run
from rnncast.reports import pages, plots
from rnncast.reports.terminal import (
    NO_TEST,
    metrics_table,
    model_name,
    steps_table,
    targets_table,
    verdict,
)
from rnncast.training.progress import epoch_progress


def fit_and_report(
    cfg: FitConfig,
    data: Any,
    target: str,
    date: str | None,
    features: str | None,
    out_dir: str,
    overwrite: bool = False,
    forecast_steps: int | None = None,
    console: Console | None = None,
    progress: bool = True,
    id: str | None = None,
    distributed: bool = False,
    known: dict[str, Any] | None = None,
    reference: Any = None,
    wide: bool = False,
) -> Forecaster:
    """Fit, print data notes, progress, metrics and verdict, and save the run directory.
    ``known``: :meth:`Forecaster.fit`'s ``known``, ``calendar``, ``holidays`` and
    ``future``; ``reference`` and ``wide``: as there."""
    console = console or Console()
    main = int(os.environ.get("RANK", "0")) == 0 or not distributed  # only rank 0 reports
    progress = progress and main
    check_destination(out_dir, overwrite)  # before training, not after
    if forecast_steps is not None:
        check_forecast_steps(forecast_steps, "forecast_steps")
    if forecast_steps is not None and not cfg.contiguous:
        raise ConfigError(
            f"With --horizon {','.join(map(str, cfg.steps))} the forecast holds exactly those "
            "steps; leave out --forecast N (forecast.png shows them)."
        )
    if forecast_steps is not None:  # before reading the data
        check_past_covariates(
            as_names(features, "features") if features else (), forecast_steps, cfg.max_step
        )
    checkpoint = checkpoint_place(out_dir) if not distributed else None
    lock = writer_lock(out_dir) if main else contextlib.nullcontext()
    with lock:  # one writer per --out, from the first epoch to the last file
        f = Forecaster(**cfg.to_dict())
        with epoch_progress(console, cfg.epochs, enabled=progress) as on_epoch:
            f.fit(
                data,
                target=target,
                date=date,
                features=features or (),
                id=id,
                on_epoch=on_epoch,
                distributed=distributed,
                checkpoint=checkpoint,
                forecast_steps=forecast_steps,
                on_prepared=(lambda f: print_data(f, console)) if main else None,
                reference=reference,
                wide=wide,
                **(known or {}),
            )
        if not main:
            return f
        _report_and_save(f, out_dir, overwrite, forecast_steps, console, data_shown=True)
    return f


CHECKPOINT_SUFFIX = ".checkpoint"


def checkpoint_place(out_dir: str) -> str:
    """Where an interrupted fit to ``out_dir`` keeps its checkpoint: ``out_dir`` itself, or,
    when that holds a finished run (``--overwrite``), ``OUT.checkpoint`` beside it, so that
    the old run stays whole until a new one replaces it."""
    if not holds_run(Path(out_dir)):
        return out_dir
    beside = str(Path(out_dir)) + CHECKPOINT_SUFFIX
    check_place(beside)
    return beside


def run_place(checkpoint: str) -> str:
    """Where the fit resumed from ``checkpoint`` saves its run: the run it was kept beside
    (see :func:`checkpoint_place`), or the checkpoint's own directory."""
    path = Path(checkpoint)
    if path.name.endswith(CHECKPOINT_SUFFIX):
        run = path.with_name(path.name.removesuffix(CHECKPOINT_SUFFIX))
        if holds_run(run):
            return str(run)
    return checkpoint


def resume_and_report(
    path: str,
    forecast_steps: int | None = None,
    console: Console | None = None,
    progress: bool = True,
) -> Forecaster:
    """Continue an interrupted fit from its checkpoint and save the finished run where the
    fit was to go; a checkpoint kept beside an older run is removed once the run replaced it."""
    console = console or Console()
    epochs = read_checkpoint(path).config.epochs  # checked before anything is created
    out_dir = run_place(path)
    with writer_lock(out_dir):
        with epoch_progress(console, epochs, enabled=progress) as on_epoch:
            f = Forecaster.resume(path, on_epoch=on_epoch)
        _report_and_save(f, out_dir, True, forecast_steps, console)
    ours = {MARKER, *CHECKPOINT_FILES}
    if out_dir != path and is_checkpoint(path) and {p.name for p in Path(path).iterdir()} <= ours:
        shutil.rmtree(path)  # our own checkpoint and nothing else, now that its run is in place
    return f


def _report_and_save(f, out_dir, overwrite, forecast_steps, console, data_shown=False) -> None:
    if not data_shown:  # a fit shows it before training; a resumed one here
        print_data(f, console)
    print_training(f, console)
    if f.metrics_["test"] is not None:
        print_metrics(f, f.metrics_, console)
    else:
        console.print(NO_TEST.format(run=shlex.quote(str(out_dir))), highlight=False)
    forecast = _forecast(f, forecast_steps)
    path = save_run(f, out_dir, overwrite, forecast_steps, forecast)
    note = bounds_note(forecast) if forecast_steps is not None and forecast is not None else None
    if note:
        console.print(note, highlight=False)
    files = sorted(p.name for p in Path(path).iterdir() if not p.name.startswith("."))
    console.print(f"Run saved to [bold]{path}[/]: {', '.join(files)}", highlight=False)


def save_run(
    f: Forecaster,
    path: str,
    overwrite: bool = False,
    forecast_steps: int | None = None,
    forecast: pd.DataFrame | None = None,
) -> str:
    """Write a fitted model's run directory with its plots and HTML report, atomically:
    :meth:`Forecaster.save`'s files, ``loss.png``, ``fit.png``, ``forecast.png`` (the
    forecast of ``forecast.csv``, or of one horizon; ``forecast`` when already made) and
    ``report.html``."""
    if forecast is None:  # one forecast for forecast.csv and forecast.png
        forecast = _forecast(f, forecast_steps)
    with atomic_directory(path, overwrite) as tmp:
        write_run(f.contents(), tmp, forecast if forecast_steps else None)
        plots.write_all(f, tmp, forecast)
        (tmp / "report.html").write_text(pages.fit_page(f, tmp), encoding="utf-8")
    return str(path)


def _forecast(f: Forecaster, steps: int | None) -> pd.DataFrame | None:
    """The run's forecast; none for the plot of a model whose known columns have no values
    past the data yet (``forecast --future`` makes it later)."""
    d = f.data_
    if steps is None and d.user_known and d.future is None and not d.futures:
        return None
    return f.forecast(steps)


def print_data(f: Forecaster, console: Console) -> None:
    d, s = f.data_, f.split_
    first, last = d.first_last()
    span = f"{first.date()} to {last.date()}, frequency {d.freq}" if d.date else "no dates"
    console.print(
        f"Data: {d.n_rows} rows ({span}); target {', '.join(d.targets)}"
        + (f", past covariates {', '.join(d.features)}" if d.features else "")
        + (f", known ahead {', '.join(d.known)}" if d.known else ""),
        highlight=False,
    )
    for note in d.notes:
        console.print(f"  - {note}", highlight=False)
    if d.ids:
        print_panel(f, console)
        return
    console.print(
        f"Split: train {s.n_train}, validation {s.n_val}, test {s.n_test} rows; "
        f"scaler {f.config_.scaler} fitted on the {s.n_train} training rows; "
        f"season {f.season_}.",
        highlight=False,
    )


def print_panel(f: Forecaster, console: Console) -> None:
    """The split of a many-series run: totals, the series skipped, and how they are handled."""

    n_train = sum(f.splits_[g].n_train for g in f.usable_)
    n_ref = len(f.data_.reference)
    also = f" (and {n_ref} reference series, learned from only)" if n_ref else ""
    console.print(
        f"Series: {len(f.usable_)} of {f.data_.n_series - n_ref} used{also}; "
        f"train {n_train} rows {'in those' if n_ref else 'in all'}; "
        f"one {f.config_.scaler} scaler per series, fitted on that series' training rows; "
        f"season {f.season_}.",
        highlight=False,
    )
    short = skipped(f.data_, f.splits_, f.usable_)
    if short:
        handled = (
            "forecast by seasonal naive (flagged)"
            if f.config_.fallback
            else "left out of the forecast (--fallback seasonal-naive covers them)"
        )
        names = ", ".join(short[:10]) + (f" and {len(short) - 10} more" if len(short) > 10 else "")
        console.print(
            f"Skipped {len(short)} series too short for lookback + horizon after the "
            f"split: {names}; {handled}.",
            highlight=False,
        )


def print_training(f: Forecaster, console: Console) -> None:
    h = f.history_
    params = sum(p.numel() for p in f.predictor_.net.parameters())
    console.print(
        f"Model: {f.predictor_.net.spec}; {params:,} parameters, lookback {f.config_.lookback}, "
        f"steps {','.join(map(str, f.config_.steps))}, strategy {f.predictor_.strategy}. "
        + _trained(f.config_.members, h)
        + (f" Distributed over {f.processes_} processes." if f.processes_ > 1 else ""),
        highlight=False,
    )


def _epochs(n: int) -> str:
    return "1 epoch" if n == 1 else f"{n} epochs"


def _trained(members: int, h) -> str:
    if members == 1:
        return (
            f"Trained {_epochs(h.epochs_run)} in {h.seconds:.1f} s ({h.train_windows:,} "
            f"windows); {h.stop_reason}; kept epoch {h.best_epoch}."
        )
    at_once = f" side by side in {h.processes} processes" if h.processes > 1 else ""
    ended = h.stop_reason  # "ran all N epochs", or why it stopped sooner: then say when
    ended += "" if ended.startswith("ran ") else f" (after {_epochs(h.epochs_run)})"
    return (
        f"Trained {members} members{at_once} in {h.seconds:.1f} s ({h.train_windows:,} "
        f"windows); the last member: {ended}; kept epoch {h.best_epoch}."
        + (f" {h.jobs_unused}." if h.jobs_unused else "")
    )


def print_metrics(f: Forecaster, metrics: dict, console: Console) -> None:
    name = model_name(f.config_)
    if metrics.get("aggregate"):
        agg = metrics["aggregate"]
        console.print(
            f"Across {agg['series']} series (numbers below are means over series): mean MASE "
            f"{_num(agg['mean_mase'])} against {_num(agg['mean_mase_seasonal_naive'])} for "
            f"seasonal naive; the model beats seasonal naive on "
            f"{100 * agg['share_beating_seasonal_naive']:.0f}% of series (one-step RMSE).",
            highlight=False,
        )
    console.print(metrics_table(metrics, name))
    for extra in (steps_table(metrics, "model"), targets_table(metrics, "model")):
        if extra is not None:
            console.print(extra)
    for line in verdict(metrics, name):
        console.print(line, highlight=False)
    if metrics.get("interval"):
        iv = metrics["interval"]
        parts = [
            f"{mode} covers {iv[mode]['coverage']:.1f}% of {iv[mode]['points']} test points"
            + (f", mean width {iv[mode]['width']:.4g}" if iv[mode]["width"] is not None else "")
            for mode in ("one_step", "recursive")
            if iv.get(mode) and iv[mode]["coverage"] is not None
        ]
        pooled = f", pooled over {iv['series']} series" if iv.get("series") else ""
        console.print(
            f"{iv['level']:.0%} interval ({iv['method']}{pooled}): " + "; ".join(parts) + ".",
            highlight=False,
        )
    for line in pages.quantile_lines(metrics):
        console.print(line, highlight=False)
    if metrics.get("recursive_note"):
        console.print(f"Recursive mode {metrics['recursive_note']}.", highlight=False)
    if metrics.get("known_inputs"):
        console.print(f"In both modes the {metrics['known_inputs']}.", highlight=False)


def _num(value) -> str:
    return "-" if value is None else f"{value:.3g}"
