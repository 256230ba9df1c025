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

from rnncast.config import FitConfig
from rnncast.errors import RnncastError

_D = FitConfig()
MODEL_HELP = (
    "lstm, gru, rnn or dense (shaped by --units, --dropout, --activation); a preset such as "
    "stacked-lstm, bilstm, bigru, cnn-lstm, convlstm, seq2seq, mixed; or a spec such as "
    "'lstm(64, relu) > dropout(0.2) > dense'. See docs/models.md."
)
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
    if _state["debug"]:
        raise exc
    err.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


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
    data: Annotated[str, typer.Argument(help="CSV or Parquet file, or a bundled dataset name.")],
    target: Annotated[str, typer.Option(help="Column to forecast; a,b,c forecasts several.")],
    date: Annotated[
        str | None, typer.Option(help="Date column (detected by name if omitted).")
    ] = None,
    features: Annotated[
        str | None, typer.Option(help="Extra input columns, comma-separated.")
    ] = None,
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = _D.model,
    units: Annotated[str, typer.Option(help="Units per layer, e.g. 64,32 for a stack.")] = "64",
    dropout: Annotated[float, typer.Option(help="Dropout after each layer.")] = _D.dropout,
    activation: Annotated[str, typer.Option(help="tanh or relu.")] = _D.activation,
    lookback: Annotated[int, typer.Option(help="Past steps per window.")] = _D.lookback,
    horizon: Annotated[str, typer.Option(help="Future steps per window: 7, or a set 1,3,7.")] = "1",
    strategy: Annotated[
        str | None, typer.Option(help="Multi-step: direct, recursive or seq2seq.")
    ] = _D.strategy,
    optimizer: Annotated[str, typer.Option(help="adam, rmsprop or sgd (Nesterov).")] = _D.optimizer,
    lr: Annotated[float, typer.Option(help="Learning rate.")] = _D.lr,
    momentum: Annotated[float, typer.Option(help="SGD momentum.")] = _D.momentum,
    loss: Annotated[str, typer.Option(help="mse, mae or huber.")] = _D.loss,
    epochs: Annotated[int, typer.Option(help="Maximum epochs.")] = _D.epochs,
    batch_size: Annotated[int, typer.Option(help="Windows per step.")] = _D.batch_size,
    clip_norm: Annotated[float, typer.Option(help="Gradient norm clip; 0 = off.")] = _D.clip_norm,
    patience: Annotated[int, typer.Option(help="Early-stopping patience; 0 = off.")] = _D.patience,
    seed: Annotated[int, typer.Option(help="Random seed.")] = _D.seed,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = _D.device,
    scaler: Annotated[str, typer.Option(help="minmax, standard or none.")] = _D.scaler,
    missing: Annotated[str, typer.Option(help="interpolate, ffill, drop or error.")] = _D.missing,
    test_size: Annotated[str, typer.Option(help="Fraction, row count or start date.")] = "0.2",
    val_size: Annotated[str, typer.Option(help="Fraction, row count or date; 0 = none.")] = "0.1",
    season: Annotated[int | None, typer.Option(help="Season length (inferred if omitted).")] = None,
    target_history: Annotated[
        bool, typer.Option(help="Feed the target's own past with --features.")
    ] = _D.target_history,
    interval: Annotated[
        float | None, typer.Option(help="Prediction interval level, e.g. 0.9 (conformal).")
    ] = None,
    out_dir: Annotated[str | None, typer.Option("--out", help="Run directory.")] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing run directory.")] = False,
    forecast_steps: Annotated[
        int | None, typer.Option("--forecast", help="Also write forecast.csv with N steps.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Train a model, score it against naive baselines and save a run directory."""
    settings = {k: v for k, v in locals().items() if k in FitConfig.__dataclass_fields__}
    try:
        from rnncast.runs import default_run_dir
        from rnncast.workflow import fit_and_report

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
        )
    except RnncastError as exc:
        _fail(exc)


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
        from rnncast.forecaster import Forecaster
        from rnncast.runs import write_text_atomic

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
        from rnncast.forecaster import Forecaster
        from rnncast.workflow import print_metrics

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
            from rnncast.forecaster import Forecaster

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
        from rnncast.workflow import run_demo

        run_demo(out_dir, console=out, epochs=epochs)
    except RnncastError as exc:
        _fail(exc)


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="rnncast")
