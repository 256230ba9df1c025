"""rnncast fit: train, score beside the baselines, save a run; resume after a stop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rnncast.cli import options as opt
from rnncast.cli.common import app, data_and_target, fail, out, typed_here
from rnncast.config import DEFAULTS, FitConfig, with_settings_file
from rnncast.errors import RnncastError

# Commands import their machinery when they run, so `rnncast --help` stays
# quick and free of PyTorch: the function-level imports below are deliberate.

_D = DEFAULTS


# -- fit ------------------------------------------------------------------------------------
@app.command()
@opt.with_settings(before="interval")
def fit(
    ctx: typer.Context,
    data: Annotated[
        str | None,
        typer.Argument(help="CSV or Parquet file, or a bundled dataset name (not with --resume)."),
    ] = None,
    target: opt.Target = None,
    date: opt.Date = None,
    features: opt.Features = None,
    id: opt.Id = None,
    known: opt.KnownColumns = None,
    calendar: opt.Calendar = None,
    holidays: opt.Holidays = None,
    static: opt.Static = None,
    future: opt.Future = None,
    reference: opt.Reference = None,
    wide: opt.Wide = False,
    model: opt.Model = _D.model,
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
    **shared: Any,  # the options of opt.with_settings, read from ctx.params
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
        if data is None:
            raise RnncastError(
                "fit needs the data, e.g. rnncast fit prices.csv --target Close (or --resume "
                "RUN to continue an interrupted fit)."
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
            *data_and_target(data, target, wide),
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
            reference=reference,
            wide=wide,
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
