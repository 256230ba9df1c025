"""The ``rnncast`` command: a thin Typer layer over the library.

Errors caused by input become one line on stderr and exit code 2 (a traceback only with
``--debug``). PyTorch is imported only by the commands that need it, so ``--help`` is quick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from rnncast.cli import options as opt
from rnncast.config import FitConfig
from rnncast.errors import RnncastError

_D = FitConfig()
app = typer.Typer(
    help="Honest time-series forecasting with recurrent neural networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
_state = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _state["debug"] = debug


def _fail(exc: BaseException) -> None:
    """One line on stderr; exit 2, or 128 + the signal number for an interrupted fit."""
    if _state["debug"]:
        raise exc
    signum = getattr(exc, "signum", None)
    if signum is not None:  # a clean stop on SIGINT or SIGTERM, not an error
        err.print(f"[bold yellow]Stopped:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(128 + (signum or 2))
    err.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _with_config_file(ctx: typer.Context, settings: dict, path: Path) -> dict:
    """Settings from ``path`` (flat, or under "settings"), overridden by options typed here."""
    import json

    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RnncastError(f"Cannot read --config {str(path)!r}: {exc}.") from None
    values = values.get("settings", values) if isinstance(values, dict) else values
    if not isinstance(values, dict):
        raise RnncastError(f"--config {str(path)!r} must hold a JSON object of settings.")
    from_file = FitConfig.from_dict(values).to_dict()  # unknown keys are named here

    typed = {k for k in settings if _typed_here(ctx, k)}
    return {**settings, **{k: v for k, v in from_file.items() if k not in typed}}


def _typed_here(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line (Typer's ParameterSource)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def _resolve_data(data: str) -> str:
    """A path, or the name of a bundled dataset when no such file exists."""
    if Path(data).exists():
        return data
    from rnncast import datasets

    if data in datasets.names():
        return datasets.path(data)
    return data  # read_table reports the missing file


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
    model: opt.Model = _D.model,
    units: opt.Units = "64",
    dropout: opt.Dropout = _D.dropout,
    activation: opt.Activation = _D.activation,
    lookback: opt.Lookback = _D.lookback,
    horizon: opt.Horizon = "1",
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
    test_size: opt.TestSize = "0.2",
    val_size: opt.ValSize = "0.1",
    season: opt.Season = None,
    target_history: opt.TargetHistory = _D.target_history,
    interval: opt.Interval = None,
    fallback: opt.Fallback = None,
    embed: Annotated[
        int, typer.Option(help="With --id: size of a learned per-series vector; 0 = none.")
    ] = 0,
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
    settings = {k: v for k, v in locals().items() if k in FitConfig.__dataclass_fields__}
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
            settings = _with_config_file(ctx, settings, config)
            model = settings["model"]
        from rnncast.jobs import fit_and_report
        from rnncast.persistence.runs import default_run_dir

        cfg = FitConfig(**settings)
        fit_and_report(
            cfg,
            _resolve_data(data),
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
        )
    except RnncastError as exc:
        _fail(exc)


def _resume(ctx: typer.Context, path: str, forecast_steps: int | None, quiet: bool) -> None:
    """``fit --resume``: the checkpoint holds the data and settings, so none may be given."""
    allowed = {"resume", "forecast_steps", "quiet"}
    given = [name for name in ctx.params if name not in allowed and _typed_here(ctx, name)]
    if given:
        flag = "DATA" if given[0] == "data" else "--" + given[0].replace("_", "-")
        flag = "--out" if given[0] == "out_dir" else flag
        raise RnncastError(
            f"--resume continues the fit with the data and settings it started with; leave "
            f"out {flag} (or start a new fit without --resume)."
        )
    from rnncast.jobs import resume_and_report

    resume_and_report(path, forecast_steps, console=out, progress=not quiet)


# -- compare and backtest -------------------------------------------------------------------
Folds = Annotated[int | None, typer.Option(help="Rolling-origin folds (backtest).")]
Window = Annotated[str, typer.Option(help="expanding or sliding training window.")]
Step = Annotated[int | None, typer.Option(help="Rows between fold cut-offs (default: test).")]
Refit = Annotated[bool, typer.Option(help="Retrain in every fold (--no-refit: first only).")]


@app.command()
def compare(
    data: opt.Data,
    target: opt.Target,
    models: Annotated[
        list[str],
        typer.Option(help="Models, comma-separated; repeat the option for specs with commas."),
    ],
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")],
    repeats: Annotated[int, typer.Option(help="Seeds per model.")] = 3,
    ensemble: Annotated[
        str | None, typer.Option(help="Models averaged in the ensemble (default: recurrent).")
    ] = None,
    folds: Folds = None,
    window: Window = "expanding",
    step: Step = None,
    refit: Refit = True,
    rank_mode: Annotated[str, typer.Option(help="Rank by one_step or recursive.")] = "one_step",
    rank_metric: Annotated[str, typer.Option(help="rmse, mae, mape, smape or mase.")] = "rmse",
    date: opt.Date = None,
    features: opt.Features = None,
    units: opt.Units = "64",
    dropout: opt.Dropout = _D.dropout,
    activation: opt.Activation = _D.activation,
    lookback: opt.Lookback = _D.lookback,
    horizon: opt.Horizon = "1",
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
    test_size: opt.TestSize = "0.2",
    val_size: opt.ValSize = "0.1",
    season: opt.Season = None,
    target_history: opt.TargetHistory = _D.target_history,
    overwrite: opt.Overwrite = False,
    quiet: opt.Quiet = False,
) -> None:
    """Train every model on identical splits, several seeds each, and rank them beside the
    naive, seasonal-naive, drift and exponential-smoothing baselines and an ensemble."""
    settings = {k: v for k, v in locals().items() if k in FitConfig.__dataclass_fields__}
    try:
        from rnncast.jobs import run_compare
        from rnncast.studies.compare import split_models

        names = split_models(models)
        run_compare(
            _resolve_data(data),
            target,
            names,
            settings,
            out_dir,
            date=date,
            features=features,
            overwrite=overwrite,
            console=out,
            progress=not quiet,
            repeats=repeats,
            ensemble=ensemble,
            folds=folds,
            window=window,
            step=step,
            refit=refit,
            rank_by=(rank_mode, rank_metric),
        )
    except RnncastError as exc:
        _fail(exc)


@app.command()
def backtest(
    data: opt.Data,
    target: opt.Target,
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")],
    folds: Annotated[int, typer.Option(help="Rolling-origin folds.")] = 5,
    window: Window = "expanding",
    step: Step = None,
    refit: Refit = True,
    model: opt.Model = _D.model,
    date: opt.Date = None,
    features: opt.Features = None,
    units: opt.Units = "64",
    dropout: opt.Dropout = _D.dropout,
    activation: opt.Activation = _D.activation,
    lookback: opt.Lookback = _D.lookback,
    horizon: opt.Horizon = "1",
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
    test_size: opt.TestSize = "0.2",
    val_size: opt.ValSize = "0.1",
    season: opt.Season = None,
    target_history: opt.TargetHistory = _D.target_history,
    overwrite: opt.Overwrite = False,
    quiet: opt.Quiet = False,
) -> None:
    """Rolling-origin evaluation: per-fold metrics of one model and the baselines, every
    scaler refitted inside each fold on that fold's training rows only."""
    settings = {k: v for k, v in locals().items() if k in FitConfig.__dataclass_fields__}
    try:
        from rnncast.jobs import run_compare

        run_compare(
            _resolve_data(data),
            target,
            [model],
            settings,
            out_dir,
            date=date,
            features=features,
            overwrite=overwrite,
            console=out,
            progress=not quiet,
            repeats=1,
            folds=folds,
            window=window,
            step=step,
            refit=refit,
        )
    except RnncastError as exc:
        _fail(exc)


@app.command()
def tune(
    data: opt.Data,
    target: opt.Target,
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
    date: opt.Date = None,
    features: opt.Features = None,
    id: opt.Id = None,
    units: opt.Units = "64",
    dropout: opt.Dropout = _D.dropout,
    activation: opt.Activation = _D.activation,
    lookback: opt.Lookback = _D.lookback,
    horizon: opt.Horizon = "1",
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
    test_size: opt.TestSize = "0.2",
    val_size: opt.ValSize = "0.1",
    season: opt.Season = None,
    target_history: opt.TargetHistory = _D.target_history,
    quiet: opt.Quiet = False,
) -> None:
    """Search lookback, units, layers, dropout, learning rate and batch size with Optuna
    (pruning by validation loss); write best.json for fit --config, and the search history."""
    settings = {k: v for k, v in locals().items() if k in FitConfig.__dataclass_fields__}
    try:
        from rnncast.studies.tuning import best_config, write_results
        from rnncast.studies.tuning import tune as run_tune

        def on_trial(number: int, value: float) -> None:
            if not quiet:
                out.print(f"  trial {number}: best validation loss {value:.4g}", highlight=False)

        result = run_tune(
            _resolve_data(data),
            target,
            settings,
            trials,
            out_dir,
            storage,
            study,
            date=date,
            features=_split_names(features),
            id=id,
            on_trial=on_trial,
        )
        write_results(result, out_dir)
        best = best_config(result)
        out.print(
            f"Best of {best['trials']} trials in study {study!r}: trial {best['trial']}, "
            f"validation loss {best['best_val_loss']:.4g}. Wrote {out_dir}/best.json "
            f"(use: rnncast fit ... --config {out_dir}/best.json), trials.csv and "
            "history.png.",
            highlight=False,
        )
    except RnncastError as exc:
        _fail(exc)


def _split_names(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


# -- commands on a saved run ----------------------------------------------------------------
@app.command()
def forecast(
    run: Annotated[str, typer.Argument(help="Run directory of a fit.")],
    steps: Annotated[
        int | None, typer.Option(help="Steps beyond the last observation (default: horizon).")
    ] = None,
    out_file: Annotated[
        str | None, typer.Option("--out", help="Write the forecast as CSV.")
    ] = None,
    interval: Annotated[
        float | None, typer.Option(help="Add a prediction interval at this level, e.g. 0.9.")
    ] = None,
) -> None:
    """Forecast beyond the last observation, with real future dates, in original units."""
    try:
        from rnncast.forecasting.forecaster import Forecaster
        from rnncast.persistence.files import write_text_atomic

        frame = Forecaster.load(run).forecast(steps, interval=interval)
        if out_file:
            write_text_atomic(out_file, frame.to_csv(index=False))
            out.print(f"Wrote {len(frame)} forecast steps to {out_file}")
        else:
            out.print(frame.to_string(index=False), highlight=False)
    except RnncastError as exc:
        _fail(exc)


@app.command()
def evaluate(
    run: Annotated[str, typer.Argument(help="Run directory of a fit.")],
    data: Annotated[str | None, typer.Option(help="Score on this data instead.")] = None,
) -> None:
    """Re-score a saved run on its own data, or on new data with the same columns."""
    try:
        from rnncast.forecasting.forecaster import Forecaster
        from rnncast.jobs import print_metrics

        f = Forecaster.load(run)
        metrics = f.evaluate(_resolve_data(data) if data else None)
        if metrics is None or metrics.get("test") is None:
            raise RnncastError("This run has no test part to score; pass --data.")
        print_metrics(f, metrics, out)
    except RnncastError as exc:
        _fail(exc)


@app.command()
def summary(
    run: Annotated[str | None, typer.Argument(help="Run directory of a fit.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Summarise this spec instead, untrained.")
    ] = None,
    lookback: Annotated[int, typer.Option(help="With --model: steps per window.")] = _D.lookback,
    inputs: Annotated[int, typer.Option(help="With --model: input columns (F).")] = 1,
    horizon: Annotated[str, typer.Option(help="With --model: forecast steps.")] = "1",
    targets: Annotated[int, typer.Option(help="With --model: target columns (C).")] = 1,
    strategy: Annotated[str | None, typer.Option(help="With --model: the strategy.")] = None,
) -> None:
    """Layers, output shapes and parameter counts: of a saved run, or of a spec (--model)."""
    try:
        if (run is None) == (model is None):
            raise RnncastError("Give either a RUN directory or --model SPEC, not both or neither.")
        if run is not None:
            from rnncast.forecasting.forecaster import Forecaster

            out.print(Forecaster.load(run).summary(), highlight=False)
            return
        from rnncast.nn.networks import build_network
        from rnncast.nn.summary import summarize

        cfg = FitConfig(model=model, lookback=lookback, horizon=horizon, strategy=strategy)
        if inputs < 1 or targets < 1:
            raise RnncastError("--inputs and --targets must be >= 1.")
        n_steps = 1 if cfg.resolved_strategy() == "recursive" else len(cfg.steps)
        net = build_network(cfg.layers(), inputs, lookback, n_steps, targets)
        out.print(f"Model: {net.spec}", highlight=False)
        out.print(summarize(net, (1, lookback, inputs)), highlight=False)
    except RnncastError as exc:
        _fail(exc)


@app.command()
def explore(
    data: opt.Data,
    date: opt.Date = None,
    target: Annotated[str | None, typer.Option(help="Column to study (default: first).")] = None,
    out_dir: Annotated[str, typer.Option("--out", help="Output directory.")] = "runs/explore",
    overwrite: opt.Overwrite = False,
) -> None:
    """Look at the data before any model: columns over time, missing values, frequency and
    season, autocorrelation, and trend and seasonality in plain words."""
    try:
        from rnncast.jobs import run_explore

        run_explore(
            _resolve_data(data), out_dir, date=date, target=target, overwrite=overwrite, console=out
        )
    except RnncastError as exc:
        _fail(exc)


# -- inside the cells -----------------------------------------------------------------------
ExpOut = Annotated[str, typer.Option("--out", help="Output directory.")]


@app.command()
def gradients(
    out_dir: ExpOut = "runs/gradients",
    length: Annotated[int, typer.Option(help="Sequence length T of the adding problem.")] = 100,
    hidden: Annotated[int, typer.Option(help="Units of every cell.")] = 32,
    train_steps: Annotated[int, typer.Option(help="Training steps per cell.")] = 600,
    seed: opt.Seed = 0,
    overwrite: opt.Overwrite = False,
) -> None:
    """The vanishing gradient: ‖∂L/∂h_k‖ against T − k for SimpleRNN (tanh, relu, orthogonal),
    LSTM (forget bias 0 and 1) and GRU, at initialisation and after training."""
    try:
        from rnncast.experiments import gradients as experiment
        from rnncast.jobs import run_experiment

        settings = experiment.GradientSettings(length, hidden, train_steps, seed=seed)
        run_experiment(experiment, settings, out_dir, overwrite, out, "gradients")
    except RnncastError as exc:
        _fail(exc)


@app.command()
def memory(
    out_dir: ExpOut = "runs/memory",
    lags: Annotated[str, typer.Option(help="Lags k to try, comma-separated.")] = "1,5,10,20,40,60",
    hidden: Annotated[int, typer.Option(help="Units of every cell.")] = 32,
    train_steps: Annotated[int, typer.Option(help="Training steps per cell and lag.")] = 500,
    seed: opt.Seed = 0,
    overwrite: opt.Overwrite = False,
) -> None:
    """Long-term memory: accuracy on recalling the sign seen k steps back, for SimpleRNN, LSTM
    and GRU with the same budget."""
    try:
        from rnncast.experiments import memory as experiment
        from rnncast.jobs import run_experiment

        settings = experiment.MemorySettings(_lags(lags), hidden, train_steps, seed=seed)
        run_experiment(experiment, settings, out_dir, overwrite, out, "memory")
    except RnncastError as exc:
        _fail(exc)


def _lags(text: str) -> list[int]:
    try:
        lags = sorted({int(t) for t in text.split(",") if t.strip()})
    except ValueError:
        raise RnncastError(
            f"--lags must be whole numbers separated by commas; got {text!r}."
        ) from None
    if not lags or lags[0] < 1:
        raise RnncastError(f"--lags must be whole numbers >= 1; got {text!r}.")
    return lags


@app.command()
def gates(
    run: Annotated[str, typer.Argument(help="Run directory of an LSTM or GRU fit.")],
    out_dir: Annotated[str | None, typer.Option("--out", help="Output directory.")] = None,
    overwrite: opt.Overwrite = False,
) -> None:
    """Gate activations and cell state of a trained LSTM or GRU over a test window."""
    try:
        from rnncast.experiments import gates as experiment
        from rnncast.forecasting.forecaster import Forecaster
        from rnncast.persistence.files import atomic_directory

        result = experiment.window_gates(Forecaster.load(run))
        target = out_dir or str(Path(run) / "gates")
        with atomic_directory(target, overwrite) as tmp:
            experiment.write(result, tmp)
        out.print(
            f"Wrote {target}/gates.png and gates.csv ({', '.join(result['gates'])}).",
            highlight=False,
        )
    except RnncastError as exc:
        _fail(exc)


# -- data and demo --------------------------------------------------------------------------
@app.command("datasets")
def datasets_cmd() -> None:
    """List the real datasets bundled with rnncast, with source and licence."""
    from rich.table import Table

    from rnncast import datasets

    table = Table(title="Bundled datasets (use the name as DATA)", title_justify="left")
    for col in ("name", "rows", "frequency", "target", "description", "licence"):
        table.add_column(col)
    for name in datasets.names():
        meta = datasets.info(name)
        rows = str(len(datasets.load(name)))
        table.add_row(
            name, rows, meta["frequency"], meta["target"], meta["description"], meta["license"]
        )
    out.print(table)
    out.print("Sources: " + "; ".join(f"{n}: {datasets.info(n)['url']}" for n in datasets.names()))


@app.command()
def demo(
    out_dir: Annotated[str, typer.Option("--out", help="Folder for the demo runs.")] = "runs/demo",
    epochs: Annotated[int | None, typer.Option(help="Override the epochs (quick look).")] = None,
) -> None:
    """Run the whole path on two bundled real series: a price and a seasonal series."""
    try:
        from rnncast.jobs import run_demo

        run_demo(out_dir, console=out, epochs=epochs)
    except RnncastError as exc:
        _fail(exc)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="rnncast")
