"""rnncast fit: train, score beside the baselines, save a run; resume after a stop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rnncast.cli import options as opt
from rnncast.cli.common import app, fail, out, resolve_data, typed_here
from rnncast.config import DEFAULTS, FitConfig, with_settings_file
from rnncast.errors import RnncastError

# Commands import their machinery when they run, so `rnncast --help` stays
# quick and free of PyTorch: the function-level imports below are deliberate.

_D = DEFAULTS


# -- fit ------------------------------------------------------------------------------------
@app.command()
def fit(
    ctx: typer.Context,
    data: Annotated[
        str | None,
        typer.Argument(help="CSV or Parquet file, or a bundled dataset name (not with --resume)."),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Column to forecast; a,b,c forecasts several.")
    ] = None,
    date: opt.Date = None,
    features: opt.Features = None,
    id: opt.Id = None,
    known: opt.KnownColumns = None,
    calendar: opt.Calendar = None,
    holidays: opt.Holidays = None,
    static: opt.Static = None,
    future: opt.Future = None,
    model: opt.Model = _D.model,
    units: opt.Units = _D.units,
    dropout: opt.Dropout = _D.dropout,
    activation: opt.Activation = _D.activation,
    lookback: opt.Lookback = _D.lookback,
    horizon: opt.Horizon = opt.TEXT["horizon"],
    strategy: opt.Strategy = _D.strategy,
    optimizer: opt.Optimizer = _D.optimizer,
    lr: opt.Lr = _D.lr,
    momentum: opt.Momentum = _D.momentum,
    loss: opt.Loss = _D.loss,
    epochs: opt.Epochs = _D.epochs,
    batch_size: opt.BatchSize = _D.batch_size,
    clip_norm: opt.ClipNorm = _D.clip_norm,
    patience: opt.Patience = _D.patience,
    seed: opt.Seed = _D.seed,
    device: opt.Device = _D.device,
    scaler: opt.Scaler = _D.scaler,
    missing: opt.Missing = _D.missing,
    test_size: opt.TestSize = opt.TEXT["test_size"],
    val_size: opt.ValSize = opt.TEXT["val_size"],
    season: opt.Season = _D.season,
    target_history: opt.TargetHistory = _D.target_history,
    window_norm: opt.WindowNormOption = _D.window_norm,
    log: opt.Log = _D.log,
    log_offset: opt.LogOffset = _D.log_offset,
    members: opt.Members = _D.members,
    pad: opt.Pad = _D.pad,
    deseason: opt.Deseason = _D.deseason,
    trend: opt.Trend = _D.trend,
    lookbacks: opt.Lookbacks = None,
    losses: opt.Losses = None,
    quantile: opt.Quantile = _D.quantile,
    quantiles: opt.Quantiles = None,
    jobs: opt.Jobs = None,
    interval: opt.Interval = _D.interval,
    fallback: opt.Fallback = _D.fallback,
    embed: opt.Embed = _D.embed,
    distributed: Annotated[
        bool, typer.Option("--distributed", help="Train on the processes torchrun started.")
    ] = False,
    out_dir: Annotated[str | None, typer.Option("--out", help="Run directory.")] = None,
    overwrite: opt.Overwrite = False,
    forecast_steps: Annotated[
        int | None, typer.Option("--forecast", help="Also write forecast.csv with N steps.")
    ] = None,
    quiet: opt.Quiet = False,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Settings from a JSON file (tune's best.json, a run's config.json); "
            "options given here win."
        ),
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            help="Continue the fit interrupted (Ctrl-C, SIGTERM) in this run directory, "
            "with its own data and settings."
        ),
    ] = None,
) -> None:
    """Train a model, score it against naive baselines and save a run directory.

    Ctrl-C or SIGTERM stops at the next batch and saves a checkpoint in --out; continue with
    rnncast fit --resume OUT.
    """
    settings = opt.settings(ctx.params)
    try:
        if resume is not None:
            _resume(ctx, resume, forecast_steps, quiet)
            return
        if data is None or target is None:
            raise RnncastError(
                "fit needs the data and --target, e.g. rnncast fit prices.csv --target Close "
                "(or --resume RUN to continue an interrupted fit)."
            )
        if config is not None:
            given = {k for k in settings if typed_here(ctx, k)}
            settings = with_settings_file(settings, config, given)
            model = settings["model"]
        from rnncast.jobs import fit_and_report
        from rnncast.persistence.runs import default_run_dir

        cfg = FitConfig(**settings)
        fit_and_report(
            cfg,
            resolve_data(data),
            target,
            date,
            features,
            out_dir or default_run_dir(model),
            overwrite=overwrite,
            forecast_steps=forecast_steps,
            console=out,
            progress=not quiet,
            id=id,
            distributed=distributed,
            known={**opt.known_inputs(known, calendar, holidays, static), "future": future},
        )
    except (RnncastError, OSError) as exc:
        fail(exc)


def _resume(ctx: typer.Context, path: str, forecast_steps: int | None, quiet: bool) -> None:
    """``fit --resume``: the checkpoint holds the data and settings, so none may be given."""
    allowed = {"resume", "forecast_steps", "quiet"}
    given = [name for name in ctx.params if name not in allowed and typed_here(ctx, name)]
    if given:
        flag = "DATA" if given[0] == "data" else "--" + given[0].replace("_", "-")
        flag = "--out" if given[0] == "out_dir" else flag
        raise RnncastError(
            f"--resume continues the fit with the data and settings it started with; leave "
            f"out {flag} (or start a new fit without --resume)."
        )
    from rnncast.jobs import resume_and_report

    resume_and_report(path, forecast_steps, console=out, progress=not quiet)
