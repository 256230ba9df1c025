"""Commands built on many fits or on the data alone: compare, backtest, tune, explore."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rnncast.cli import options as opt
from rnncast.cli.common import app, data_and_target, fail, out, split_names
from rnncast.config import DEFAULTS
from rnncast.errors import RnncastError

# Commands import their machinery when they run, so `rnncast --help` stays
# quick and free of PyTorch: the function-level imports below are deliberate.

_D = DEFAULTS

# -- compare and backtest -------------------------------------------------------------------
Folds = Annotated[int | None, typer.Option(help="Rolling-origin folds (backtest).")]
Window = Annotated[str, typer.Option(help="expanding or sliding training window.")]
Step = Annotated[int | None, typer.Option(help="Rows between fold cut-offs (default: test).")]
Refit = Annotated[bool, typer.Option(help="Retrain in every fold (--no-refit: first only).")]
Ets = Annotated[
    bool,
    typer.Option(help="Score the exponential-smoothing baseline (about 0.3 s a series and fold)."),
]


@app.command()
@opt.with_settings(before="overwrite")
def compare(
    ctx: typer.Context,
    data: opt.Data,
    models: Annotated[
        list[str],
        typer.Option(help="Models, comma-separated; repeat the option for specs with commas."),
    ],
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")],
    repeats: Annotated[
        int, typer.Option(help="Seeds per model: --seed, --seed + 1, ... (one run each).")
    ] = 3,
    ensemble: Annotated[
        str | None, typer.Option(help="Models averaged in the ensemble (default: recurrent).")
    ] = None,
    folds: Folds = None,
    window: Window = "expanding",
    step: Step = None,
    refit: Refit = True,
    rank_mode: Annotated[str, typer.Option(help="Rank by one_step or recursive.")] = "one_step",
    rank_metric: Annotated[
        str | None,
        typer.Option(help="rmse, mae, mape, smape or mase (default: rmse; with --id, mase)."),
    ] = None,
    ets: Ets = True,
    target: opt.Target = None,
    date: opt.Date = None,
    features: opt.Features = None,
    known: opt.KnownColumns = None,
    calendar: opt.Calendar = None,
    holidays: opt.Holidays = None,
    static: opt.Static = None,
    id: opt.Id = None,
    wide: opt.Wide = False,
    overwrite: opt.Overwrite = False,
    quiet: opt.Quiet = False,
    **shared: Any,  # the options of opt.with_settings, read from ctx.params
) -> None:
    """Train every model on identical splits, several seeds each, and rank them beside the
    naive, seasonal-naive, drift and exponential-smoothing baselines and an ensemble."""
    settings = opt.settings(ctx.params)
    try:
        from rnncast.jobs import run_compare
        from rnncast.studies.compare import split_models

        names = split_models(models)
        run_compare(
            *data_and_target(data, target, wide),
            names,
            settings,
            out_dir,
            date=date,
            features=features,
            known=opt.known_inputs(known, calendar, holidays, static),
            overwrite=overwrite,
            console=out,
            progress=not quiet,
            repeats=repeats,
            ensemble=ensemble,
            folds=folds,
            window=window,
            step=step,
            refit=refit,
            rank_by=(rank_mode, rank_metric or ("mase" if id else "rmse")),
            id=id,
            ets=ets,
            wide=wide,
        )
    except (RnncastError, OSError) as exc:
        fail(exc)


@app.command()
@opt.with_settings(before="overwrite")
def backtest(
    ctx: typer.Context,
    data: opt.Data,
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")],
    folds: Annotated[int, typer.Option(help="Rolling-origin folds.")] = 5,
    window: Window = "expanding",
    step: Step = None,
    refit: Refit = True,
    ets: Ets = True,
    model: opt.Model = _D.model,
    target: opt.Target = None,
    date: opt.Date = None,
    features: opt.Features = None,
    known: opt.KnownColumns = None,
    calendar: opt.Calendar = None,
    holidays: opt.Holidays = None,
    static: opt.Static = None,
    id: opt.Id = None,
    wide: opt.Wide = False,
    overwrite: opt.Overwrite = False,
    quiet: opt.Quiet = False,
    **shared: Any,  # the options of opt.with_settings, read from ctx.params
) -> None:
    """Rolling-origin evaluation: per-fold metrics of one model and the baselines, every
    scaler refitted inside each fold on that fold's training rows only."""
    settings = opt.settings(ctx.params)
    try:
        from rnncast.jobs import run_compare

        run_compare(
            *data_and_target(data, target, wide),
            [model],
            settings,
            out_dir,
            date=date,
            features=features,
            known=opt.known_inputs(known, calendar, holidays, static),
            overwrite=overwrite,
            console=out,
            progress=not quiet,
            repeats=1,
            folds=folds,
            window=window,
            step=step,
            refit=refit,
            id=id,
            ets=ets,
            wide=wide,
        )
    except (RnncastError, OSError) as exc:
        fail(exc)


@app.command()
@opt.with_settings(before="quiet")
def tune(
    ctx: typer.Context,
    data: opt.Data,
    trials: Annotated[int, typer.Option(help="Trials to run (added to the study).")] = 20,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna storage URL; default sqlite:///OUT/study.db. Share one URL "
            "(e.g. postgresql://...) between workers to search together."
        ),
    ] = None,
    study: Annotated[str, typer.Option(help="Study name in the storage.")] = "rnncast",
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")] = "runs/tune",
    model: opt.Model = _D.model,
    target: opt.Target = None,
    date: opt.Date = None,
    features: opt.Features = None,
    known: opt.KnownColumns = None,
    calendar: opt.Calendar = None,
    holidays: opt.Holidays = None,
    static: opt.Static = None,
    id: opt.Id = None,
    reference: opt.Reference = None,
    wide: opt.Wide = False,
    quiet: opt.Quiet = False,
    **shared: Any,  # the options of opt.with_settings, read from ctx.params
) -> None:
    """Search lookback, units, layers, dropout, learning rate and batch size with Optuna
    (pruning by validation loss); write best.json for fit --config, and the search history."""
    settings = opt.settings(ctx.params)
    try:
        from rnncast.studies.tuning import best_config, trial_line, write_results
        from rnncast.studies.tuning import tune as run_tune

        def on_trial(trial) -> None:
            if not quiet:
                out.print(f"  {trial_line(trial)}", highlight=False)

        result = run_tune(
            *data_and_target(data, target, wide),
            settings,
            trials,
            out_dir,
            storage,
            study,
            date=date,
            features=split_names(features),
            known=opt.known_inputs(known, calendar, holidays, static),
            id=id,
            on_trial=on_trial,
            reference=reference,
            wide=wide,
        )
        write_results(result, out_dir)
        best = best_config(result)
        failed = f"; {best['failed']} failed, not counted" if best["failed"] else ""
        out.print(
            f"Best of {best['trials']} trials ({best['pruned']} pruned{failed}) in study "
            f"{study!r}: trial {best['trial']}, validation loss {best['best_val_loss']:.4g} "
            "(scaled units; chosen on validation only).",
            highlight=False,
        )
        if best["test"]:
            t = best["test"]

            def three(metric: str) -> str:
                m, n, s = (
                    "-" if t[who][metric] is None else f"{t[who][metric]:.4g}"
                    for who in ("model", "naive", "seasonal_naive")
                )
                return f"{metric.upper()} {m} (naive {n}, seasonal naive {s})"

            out.print(
                f"Its test part, one-step, original units: {three('rmse')}; {three('mase')}.",
                highlight=False,
            )
        out.print(
            f"Wrote {out_dir}/best.json (use: rnncast fit ... --config {out_dir}/best.json), "
            "trials.csv and history.png.",
            highlight=False,
        )
    except (RnncastError, OSError) as exc:
        fail(exc)


@app.command()
def explore(
    data: opt.Data,
    date: opt.Date = None,
    target: Annotated[
        str | None,
        typer.Option(help="Column to study (default: a bundled dataset's, else the first)."),
    ] = None,
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")] = "runs/explore",
    overwrite: opt.Overwrite = False,
) -> None:
    """Look at the data before any model: columns over time, missing values, frequency and
    season, autocorrelation, and trend and seasonality in plain words."""
    try:
        from rnncast.jobs import run_explore

        data, target = data_and_target(data, target)
        run_explore(data, out_dir, date=date, target=target, overwrite=overwrite, console=out)
    except (RnncastError, OSError) as exc:
        fail(exc)
