"""Commands on a saved run: forecast, evaluate, summary, gates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rnncast.cli import options as opt
from rnncast.cli.common import app, fail, out, resolve_data
from rnncast.config import DEFAULTS, FitConfig
from rnncast.errors import RnncastError

# Commands import their machinery when they run, so `rnncast --help` stays
# quick and free of PyTorch: the function-level imports below are deliberate.

_D = DEFAULTS


# -- commands on a saved run ----------------------------------------------------------------
@app.command()
def export(
    run: Annotated[str, typer.Argument(help="Run directory of a fit.")],
    out_file: Annotated[str, typer.Option("--out", help="The ONNX file to write.")],
    steps: Annotated[
        int | None,
        typer.Option(help="Steps the graph forecasts (default: horizon; more roll out inside)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    exporter: Annotated[
        str,
        typer.Option(
            help="PyTorch's exporter: torchscript (fast), dynamo (torch.export; needs "
            "onnxscript), or auto: torchscript, else dynamo."
        ),
    ] = "auto",
) -> None:
    """Export the run's model as one ONNX file: raw windows in, forecasts in original units
    out, scaling, seasonality and the recursive roll-out inside (docs/export.md)."""
    try:
        from rnncast.forecasting.forecaster import Forecaster

        f = Forecaster.load(run)
        f.export_onnx(out_file, steps=steps, overwrite=overwrite, exporter=exporter)
        out.print(f"Wrote {out_file}: the model of {run} as ONNX (see its 'rnncast' metadata).")
    except (RnncastError, OSError) as exc:
        fail(exc)


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
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    data: Annotated[
        str | None,
        typer.Option(help="Newer observations (the run's columns) to forecast from."),
    ] = None,
    future: Annotated[
        str | None,
        typer.Option(help="CSV or Parquet of the known columns' values on the forecast dates."),
    ] = None,
    wide_out: Annotated[
        bool,
        typer.Option(
            "--wide-out", help="Many series: a column per series beside the date, as --wide reads."
        ),
    ] = False,
) -> None:
    """Forecast beyond the last observation (of the run's data, or of --data), with real
    future dates, in original units."""
    try:
        from rnncast.forecasting.forecaster import Forecaster
        from rnncast.forecasting.intervals import bounds_note
        from rnncast.forecasting.panel import check_wide, fallback_note, wide_forecast
        from rnncast.persistence.files import write_text_atomic
        from rnncast.persistence.runs import forecast_csv

        f = Forecaster.load(run)
        if wide_out:
            check_wide(f.data_, "wide_out")
        new = resolve_data(data) if data else None
        frame = f.forecast(steps, interval=interval, data=new, future=future)
        note = bounds_note(frame)
        if wide_out:
            notes = [note, fallback_note(frame, f.data_)]
            frame = wide_forecast(frame, f.data_, "wide_out")
            note = "\n".join(filter(None, notes))
        if out_file:
            write_text_atomic(out_file, forecast_csv(frame), overwrite=overwrite)
            out.print(f"Wrote {len(frame)} forecast steps to {out_file}")
        else:
            out.print(frame.to_string(index=False), highlight=False)
        if note:
            out.print(note, highlight=False)
    except (RnncastError, OSError) as exc:
        fail(exc)


@app.command()
def evaluate(
    run: Annotated[str, typer.Argument(help="Run directory of a fit.")],
    data: Annotated[
        str | None, typer.Option(help="Score newer observations (the run's columns) instead.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="With --data: the first date to score (default: after training)."),
    ] = None,
) -> None:
    """Re-score a saved run on its own test part, or on newer observations: only the rows
    after its training data (or from --since), at the run's frequency."""
    try:
        from rnncast.forecasting.forecaster import Forecaster
        from rnncast.jobs import print_metrics

        f = Forecaster.load(run)
        if since is not None and data is None:
            raise RnncastError("--since applies to --data; give the newer observations too.")
        metrics = f.evaluate(resolve_data(data) if data else None, since=_row_or_date(since))
        if metrics is None or metrics.get("test") is None:
            raise RnncastError("This run has no test part to score; pass --data.")
        if "scored" in metrics:
            s = metrics["scored"]
            out.print(
                f"Scored {s['rows']} rows of the new data, {s['from']} to {s['to']}; the rows "
                "before are history only.",
                highlight=False,
            )
        print_metrics(f, metrics, out)
    except (RnncastError, OSError) as exc:
        fail(exc)


def _row_or_date(text: str | None):
    """--since: a row number (data without dates) or a date."""
    return int(text) if text is not None and text.strip().isdigit() else text


@app.command()
def summary(
    run: Annotated[str | None, typer.Argument(help="Run directory of a fit.")] = None,
    model: Annotated[
        str | None, typer.Option(help="Summarise this spec instead, untrained.")
    ] = None,
    lookback: Annotated[int, typer.Option(help="With --model: steps per window.")] = 30,
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
        from rnncast.forecasting.predictor import build_net
        from rnncast.nn.summary import summarize

        cfg = FitConfig(model=model, lookback=lookback, horizon=horizon, strategy=strategy)
        if inputs < 1 or targets < 1:
            raise RnncastError("--inputs and --targets must be >= 1.")
        net = build_net(cfg, inputs, targets)  # an ensemble's members, quantiles: as fit builds
        out.print(f"Model: {net.spec}", highlight=False)
        out.print(summarize(net, (1, cfg.window, inputs)), highlight=False)
        if cfg.model == "auto":
            out.print(
                "The recipe reads logs and each series' trend where the data allow, which a fit "
                "decides: rnncast summary RUN shows a fitted run's network exactly.",
                highlight=False,
            )
    except (RnncastError, OSError) as exc:
        fail(exc)


@app.command()
def gates(
    run: Annotated[str, typer.Argument(help="Run directory of an LSTM or GRU fit.")],
    out_dir: Annotated[str | None, typer.Option("--out", help="Output directory.")] = None,
    overwrite: opt.Overwrite = False,
    member: Annotated[
        int, typer.Option(help="Of an ensemble (the default model), the member to show.")
    ] = 1,
) -> None:
    """Gate activations and cell state of a trained LSTM or GRU over a test window."""
    try:
        from rnncast.experiments import gates as experiment
        from rnncast.forecasting.forecaster import Forecaster
        from rnncast.persistence.files import atomic_directory

        result = experiment.window_gates(Forecaster.load(run), member)
        target = out_dir or str(Path(run) / "gates")
        with atomic_directory(target, overwrite) as tmp:
            experiment.write(result, tmp)
        of = f" of member {member} of {result['members']}" if result["members"] > 1 else ""
        out.print(
            f"Wrote {target}/gates.png and gates.csv ({', '.join(result['gates'])}{of}).",
            highlight=False,
        )
    except (RnncastError, OSError) as exc:
        fail(exc)
