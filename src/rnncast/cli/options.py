"""The options shared by ``fit``, ``compare``, ``backtest`` and ``tune``: one declaration each.

Every name here is a :class:`rnncast.FitConfig` setting (or a data option) so that the same
words mean the same thing in every command and in the Python API.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from rnncast.config import DEFAULTS as D
from rnncast.config import setting_names

# Options typed as text, whose defaults are FitConfig's written as a user would type them.
TEXT = {
    "horizon": str(D.horizon),
    "test_size": str(D.test_size),
    "val_size": str(D.val_size),
}


def settings(params: dict[str, Any]) -> dict[str, Any]:
    """The FitConfig settings among a command's parsed parameters (Click's ``ctx.params``)."""
    names = setting_names()
    return {k: v for k, v in params.items() if k in names}


def known_inputs(
    known: str | None, calendar: str | None, holidays: str | None, static: str | None = None
) -> dict:
    """The known-ahead inputs of a command, as :meth:`Forecaster.fit` takes them."""
    inputs = {"known": known or (), "calendar": calendar, "holidays": holidays}
    return {**inputs, "static": static} if static else inputs


MODEL_HELP = (
    "auto (the default: the recipe chosen on competition data, docs/accuracy.md); "
    "lstm, gru, rnn or dense (shaped by --units, --dropout, --activation); a preset such as "
    "stacked-lstm, bilstm, bigru, cnn-lstm, convlstm, seq2seq, mixed; or a spec such as "
    "'lstm(64, relu) > dropout(0.2) > dense'. See docs/models.md."
)

Data = Annotated[str, typer.Argument(help="CSV or Parquet file, or a bundled dataset name.")]
Target = Annotated[
    str | None,
    typer.Option(
        help="Column to forecast; a,b,c forecasts several (default: a bundled dataset's, or "
        "the data's one numeric column)."
    ),
]
Date = Annotated[str | None, typer.Option(help="Date column (detected by name if omitted).")]
Features = Annotated[
    str | None,
    typer.Option(help="Past covariates: input columns known up to the forecast origin, a,b."),
]
KnownColumns = Annotated[
    str | None,
    typer.Option(help="Columns whose future values are known (plans, forecasts), a,b."),
]
Calendar = Annotated[
    str | None,
    typer.Option(help="Calendar inputs from the dates: auto, or parts such as dow,month,doy."),
]
Holidays = Annotated[
    str | None, typer.Option(help="Public holidays as an input: a country or region, US, AU-VIC.")
]
Static = Annotated[
    str | None,
    typer.Option(help="With --id: columns of one value per series (numbers or categories), a,b."),
]
Future = Annotated[
    str | None,
    typer.Option(help="CSV or Parquet of the known columns' values after the data."),
]
Reference = Annotated[
    str | None,
    typer.Option(
        help="With --id: CSV or Parquet of more series in the same columns that train the "
        "model but are neither forecast nor scored."
    ),
]
Wide = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="The data hold one column per series beside the date: --id names the series "
        "column this makes, --target their values.",
    ),
]
Id = Annotated[
    str | None, typer.Option(help="Column naming the series: many series in long format.")
]
Fallback = Annotated[
    str | None, typer.Option(help="seasonal-naive: forecast series too short for the model.")
]
Model = Annotated[str, typer.Option(help=MODEL_HELP)]
LEFT_OUT = " Default: the recipe's with the default model, else the plain one (docs/models.md)."
Units = Annotated[
    str | None, typer.Option(help="Units per layer, e.g. 64,32 for a stack." + LEFT_OUT)
]
Dropout = Annotated[float, typer.Option(help="Dropout after each layer.")]
Activation = Annotated[str, typer.Option(help="tanh or relu.")]
Lookback = Annotated[
    int | None,
    typer.Option(
        help="Past steps per window. Default: the horizon, at least a season (auto), else 30."
    ),
]
Horizon = Annotated[str, typer.Option(help="Future steps per window: 7, or a set 1,3,7.")]
Strategy = Annotated[str | None, typer.Option(help="Multi-step: direct, recursive or seq2seq.")]
Optimizer = Annotated[str, typer.Option(help="adam, rmsprop or sgd (Nesterov).")]
Lr = Annotated[float | None, typer.Option(help="Learning rate." + LEFT_OUT)]
Momentum = Annotated[float, typer.Option(help="SGD momentum.")]
Loss = Annotated[str | None, typer.Option(help="mse, mae, huber, smape or pinball." + LEFT_OUT)]
Quantile = Annotated[float, typer.Option(help="The quantile of --loss pinball.")]
WindowNormOption = Annotated[
    str | None,
    typer.Option(
        "--window-norm", help="Normalise each window by its last or mean value, or none." + LEFT_OUT
    ),
]
Members = Annotated[
    int | None,
    typer.Option(help="Networks trained from successive seeds; forecast their median." + LEFT_OUT),
]
Log = Annotated[
    bool | None,
    typer.Option(
        help="With --window-norm: log ratios. Default: on positive data (auto; 0 and above "
        "with --log-offset), else off."
    ),
]
LogOffset = Annotated[
    float | None,
    typer.Option(
        help="With --log: logs of each value plus this fraction of its window's level, so "
        "that zeros have logs, e.g. 0.1. Default: 0."
    ),
]
Lookbacks = Annotated[
    str | None,
    typer.Option(help="Members' lookbacks, e.g. 8,12,16: an ensemble over input lengths."),
]
Losses = Annotated[
    str | None, typer.Option(help="Members' losses, e.g. mae,smape: an ensemble over losses.")
]
Quantiles = Annotated[
    str | None,
    typer.Option(
        help="Forecast these quantiles too, e.g. 0.1,0.9 (the median is added): a "
        "probabilistic forecast whose outer quantiles make an interval, its coverage scored."
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option(
        help="Processes that train an ensemble's members at once (default: one per core when "
        "the training is long enough to repay starting them; 1: one after another)."
    ),
]
Deseason = Annotated[
    bool | None,
    typer.Option(
        help="Divide out each series' seasonal indices (training rows). Default: on where the "
        "data have a season with the default model, else off."
    ),
]
Trend = Annotated[
    int | None,
    typer.Option(
        help="Rows over which the network also reads each target's trend (its slope); 0 = none. "
        "Default: four lookbacks with the default model, else 0."
    ),
]
Pad = Annotated[
    bool | None,
    typer.Option(help="Windows may start before a series, repeating its first value." + LEFT_OUT),
]
Epochs = Annotated[int | None, typer.Option(help="Maximum epochs." + LEFT_OUT)]
BatchSize = Annotated[int | None, typer.Option(help="Windows per step." + LEFT_OUT)]
ClipNorm = Annotated[float, typer.Option(help="Gradient norm clip; 0 = off.")]
Patience = Annotated[int | None, typer.Option(help="Early-stopping patience; 0 = off." + LEFT_OUT)]
Seed = Annotated[int, typer.Option(help="Random seed of the weights, dropout and shuffling.")]
Device = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
Scaler = Annotated[
    str | None,
    typer.Option(help="minmax, standard, none or mase. Default: mase under --log, else minmax."),
]
Missing = Annotated[str, typer.Option(help="interpolate, ffill, drop or error.")]
TestSize = Annotated[str, typer.Option(help="Fraction, row count or start date.")]
ValSize = Annotated[str, typer.Option(help="Fraction, row count or date; 0 = none.")]
Season = Annotated[int | None, typer.Option(help="Season length (inferred if omitted).")]
TargetHistory = Annotated[bool, typer.Option(help="Feed the target's own past with --features.")]
Interval = Annotated[
    float | None, typer.Option(help="Prediction interval level, e.g. 0.9 (conformal).")
]
Embed = Annotated[
    int, typer.Option(help="With --id: size of a learned per-series vector; 0 = none.")
]
Overwrite = Annotated[bool, typer.Option(help="Replace an existing output directory.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]


def _settings(
    units: Units = D.units,
    dropout: Dropout = D.dropout,
    activation: Activation = D.activation,
    lookback: Lookback = D.lookback,
    horizon: Horizon = TEXT["horizon"],
    strategy: Strategy = D.strategy,
    optimizer: Optimizer = D.optimizer,
    lr: Lr = D.lr,
    momentum: Momentum = D.momentum,
    loss: Loss = D.loss,
    epochs: Epochs = D.epochs,
    batch_size: BatchSize = D.batch_size,
    clip_norm: ClipNorm = D.clip_norm,
    patience: Patience = D.patience,
    seed: Seed = D.seed,
    device: Device = D.device,
    scaler: Scaler = D.scaler,
    missing: Missing = D.missing,
    test_size: TestSize = TEXT["test_size"],
    val_size: ValSize = TEXT["val_size"],
    season: Season = D.season,
    target_history: TargetHistory = D.target_history,
    window_norm: WindowNormOption = D.window_norm,
    log: Log = D.log,
    log_offset: LogOffset = D.log_offset,
    members: Members = D.members,
    pad: Pad = D.pad,
    deseason: Deseason = D.deseason,
    trend: Trend = D.trend,
    lookbacks: Lookbacks = None,
    losses: Losses = None,
    quantiles: Quantiles = None,
    jobs: Jobs = None,
    quantile: Quantile = D.quantile,
) -> None:
    """The model and training options of every command that trains (fit, compare, backtest,
    tune), declared once here and added to each by :func:`with_settings`."""


def with_settings(before: str) -> Callable[[Callable], Callable]:
    """A command taking the options of :func:`_settings` too, placed before its own option
    ``before`` (so its help lists them there): Typer reads the merged signature, and their
    values reach the command in its ``**shared`` keywords (it reads them from ``ctx.params``
    through :func:`settings`)."""

    def add(command: Callable) -> Callable:
        keyword = inspect.Parameter.KEYWORD_ONLY
        own = inspect.signature(command, eval_str=True).parameters.values()
        own = [p.replace(kind=keyword) for p in own if p.kind is not p.VAR_KEYWORD]
        shared = inspect.signature(_settings, eval_str=True).parameters.values()
        at = [p.name for p in own].index(before)
        params = [*own[:at], *(p.replace(kind=keyword) for p in shared), *own[at:]]

        @functools.wraps(command)
        def run(**given: Any) -> None:
            command(**given)

        run.__signature__ = inspect.Signature(params, return_annotation=None)
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return add
