"""Settings of a run: one frozen dataclass filled by the CLI, a config file and the Python API.

The CLI option ``--batch-size`` is the field ``batch_size``; the same names are the keyword
arguments of :class:`rnncast.Forecaster`. Unknown keys are an error that names the key.

>>> cfg = FitConfig(model="gru", units=(32, 16), lookback=12)
>>> cfg.units, cfg.horizon
((32, 16), 1)
>>> FitConfig(horizon=0)
Traceback (most recent call last):
...
rnncast.errors.ConfigError: `horizon` must be >= 1, got 0.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rnncast.data.sizes import Size, parse_size
from rnncast.errors import ConfigError, SettingTypeError, closest
from rnncast.nn.spec import MAX_UNITS, parse_spec, spec_text

AUTO = "auto"  # the default model: the recipe below
SIMPLE_MODELS = ("lstm", "gru", "rnn", "dense")
STRATEGIES = ("direct", "recursive", "seq2seq")
ACTIVATIONS = ("tanh", "relu")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
LOSSES = ("mse", "mae", "huber", "smape", "pinball")
WINDOW_NORMS = ("last", "mean", "none")
SCALERS = ("minmax", "standard", "none", "mase")
MISSING = ("interpolate", "ffill", "drop", "error")
DEVICES = ("auto", "cpu", "cuda")

"""A split size: a fraction in [0, 1), a count of rows, or a date (the part starts there)."""

# What a setting left out (None) becomes. ``model="auto"`` (the default) takes the recipe that
# benchmarks/accuracy.py chose on competition data (docs/accuracy.md): the median of five
# LSTM(16), each window as log ratios to its mean (differences where the data are not all
# positive) beside its trend over four lookbacks, seasonality divided out, MAE, padded
# windows; its lookback, trend rows, deseasonalising, logs and scaler are settled by the data
# (:meth:`FitConfig.resolve`). Any other model takes the
# plain settings.
PLAIN = dict(
    units=(64,),
    lookback=30,
    lr=1e-3,
    loss="mse",
    epochs=50,
    batch_size=32,
    patience=10,
    scaler="minmax",
    window_norm="none",
    log=False,
    members=1,
    pad=False,
    deseason=False,
    trend=0,
    log_offset=0.0,
)
RECIPE = dict(
    units=(16,),
    lr=3e-3,
    loss="mae",
    epochs=40,
    batch_size=64,
    patience=0,
    window_norm="mean",
    members=5,
    pad=True,
)


# Settings added since models were first saved, with the value that builds what a saved
# model without them was (FitConfig.from_saved).
ADDED = {"trend": 0, "log_offset": 0.0}

MAX_OFFSET = 1_000.0  # the largest ``log_offset``: a fraction of the window's level

# Generous but finite bounds, so that no setting asks for more than a machine can give (a
# network of 100,000 units, a window of a billion rows) before anything is allocated.
MAX_LAYERS = 64
MAX_STEPS = 10_000  # forecast steps of one window
MAX_ROWS = 10_000_000  # a lookback or a season
MAX_FORECAST = 100_000  # steps of one forecast past the data


def check_forecast_steps(steps: object, name: str = "steps") -> int:
    """A number of forecast steps: whole, at least 1 and at most MAX_FORECAST."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ConfigError(f"`{name}` must be a whole number >= 1, got {steps!r}.")
    if steps > MAX_FORECAST:
        raise ConfigError(f"`{name}` must be <= {MAX_FORECAST:,}, got {steps:,}.")
    return steps


LIMITS = {  # whole-number settings: (lowest, highest)
    "lookback": (1, MAX_ROWS),
    "epochs": (1, 1_000_000),
    "batch_size": (1, 1_000_000),
    "patience": (0, 1_000_000),
    "seed": (0, 2**32 - 1),
    "embed": (0, MAX_UNITS),
    "members": (1, 100),
    "trend": (0, MAX_ROWS),
}


@dataclass(frozen=True)
class FitConfig:
    """Every setting of a fit. Sizes are in rows of the series, times in steps of its frequency.

    A setting left out (None) takes the recipe's value with the default model ``auto``, or the
    plain value (``PLAIN``) with any other; the recipe's lookback, ``deseason``, ``log`` and
    scaler are settled by the data (:meth:`resolve`), and a fitted model's ``config_`` holds
    every setting as it was settled.

    Attributes:
        model: ``auto`` (the default: the recipe, see ``RECIPE``); ``lstm``, ``gru``,
            ``rnn`` (SimpleRNN) or ``dense`` (MLP baseline), shaped by ``units``,
            ``dropout`` and ``activation``; or any preset or one-line spec of
            :mod:`rnncast.nn.spec`, e.g. ``"bilstm(50) > dense"`` (a list of layers in Python).
        units: Hidden size of each layer, first to last (a stack when more than one).
        dropout: Dropout after each hidden layer, in [0, 1).
        activation: ``tanh`` or ``relu`` inside the recurrent cells (or the dense layers).
        lookback: Past steps L in each input window.
        horizon: Future steps predicted from each window: H (steps 1..H), or a set of steps
            such as ``(1, 3, 7)`` (text ``"1,3,7"``).
        strategy: How several steps are made: ``direct`` (one vector output), ``recursive``
            (a one-step model fed its own predictions) or ``seq2seq`` (encoder-decoder).
            None picks ``seq2seq`` for a spec with ``seq2seq(...)``, else ``direct``.
        optimizer: ``adam``, ``rmsprop`` or ``sgd`` (SGD uses Nesterov momentum).
        lr: Learning rate.
        momentum: Momentum of SGD (ignored by the other optimizers).
        loss: ``mse``, ``mae`` or ``huber`` on scaled values, ``smape`` (symmetric
            absolute percentage error, scale-free across series), or ``pinball`` (the
            quantile loss at ``quantile``).
        quantile: The quantile ``pinball`` trains for (0.5: the median, as ``mae``; just
            under 0.5 counters a bias toward overforecasts, as in ES-RNN).
        epochs: Maximum passes over the training windows.
        batch_size: Windows per gradient step.
        clip_norm: Largest gradient norm; 0 turns clipping off.
        patience: Epochs without validation improvement before stopping (0: never stop early).
        seed: Seed of weights, dropout and shuffling; same seed, same numbers on a CPU.
        device: ``auto`` (CUDA when present), ``cpu`` or ``cuda``.
        scaler: ``minmax``, ``standard``, ``none``, or ``mase`` (divided by the seasonal
            naive forecast's mean absolute error: an MAE loss becomes MASE), fitted on the
            training rows only.
        missing: What to do with missing values: ``interpolate``, ``ffill``, ``drop``, ``error``.
        test_size: Test part: a fraction, a row count or a start date.
        val_size: Validation part, just before the test part; 0 trains without one.
        season: Season length for the seasonal naive baseline and MASE; None infers it.
        target_history: Whether the target's own past is an input when features are given.
        interval: Level of prediction intervals (e.g. 0.9), calibrated on the validation
            part by split conformal prediction; None for point forecasts only.
        fallback: With many series, ``seasonal-naive`` forecasts the series too short for the
            model by that baseline (flagged in the output); None leaves them out.
        window_norm: Normalise each window by its own ``last`` value or ``mean`` (of each
            target) before the network, and put the forecast back on that level (see
            :class:`rnncast.nn.networks.WindowNorm`); ``none``: no per-window normalisation.
        log: With ``window_norm``, log ratios to the level instead of differences (positive
            values only, or values of 0 and above with ``log_offset``). Left out: on with
            ``model="auto"`` where every training value of the targets is positive (0 and
            above with a ``log_offset``).
        log_offset: With ``log``, the logs are of each value plus this fraction of its
            window's level, so that a 0 reads as a finite number (``log((y + a*level) /
            (level + a*level))``, inverted exactly; 0: plain log ratios). Left out: 0 (the
            recipe reads data with zeros as differences: logs with an offset of 0.1 lost
            over two looks at Tourism quarterly's training parts, docs/accuracy.md).
        members: Networks whose forecast is their median: each starts from its own weights
            (all drawn from ``seed``) and trains with its own shuffling and dropout (seed
            ``seed + k``); an ensemble saved, loaded and resumed as one model.
        pad: Let a window start before its series' first row, those rows repeating the first
            value, so a series shorter than the lookback is trained on and forecast by the
            model (it needs one row before its first target); the padded rows are inputs
            only, never targets or scores.
        deseason: Divide each series by its seasonal indices (a classical multiplicative
            decomposition of its training rows, their last five seasons, see
            :mod:`rnncast.data.seasonal`) before the
            scaler and the network, and multiply the forecast back; a series without three
            seasons of positive training values or a significant season keeps it. Left out:
            on with ``model="auto"`` where the data have a season, else off.
        trend: Rows of each window over which the network also reads each target's trend:
            its least-squares slope (of logs with ``log``; after ``deseason``), fitted on the
            window's own rows since the series' first, beside the last ``lookback`` rows it
            reads (see :class:`rnncast.nn.networks.Trend`); 0: none. Left out: four
            lookbacks with ``model="auto"``, else 0.
        lookbacks: Members' lookbacks (an ensemble over input lengths, e.g. ``(8, 12, 16)``):
            member k reads the last ``lookbacks[k % n]`` rows of each window; ``lookback`` is
            their largest.
        losses: Members' losses (an ensemble over losses, e.g. ``("mae", "smape")``): member k
            trains on ``losses[(k // n_lookbacks) % n]``.
        embed: With many series, the size of a learned vector per series appended to every
            step's inputs (0: none), so one global model can tell the series apart.
        quantiles: Forecast these quantiles at once (e.g. ``(0.1, 0.9)``; the median 0.5 is
            added and is the point forecast): one network emits every quantile of every step,
            trained on their mean pinball loss; the outer two make a second kind of interval
            beside the conformal one, its coverage scored on the test part. Direct strategy.
        jobs: Worker processes that train an ensemble's members at once on a CPU, each with
            its share of the threads (the same numbers as one after another, to float
            rounding); None: one per core when the training is long enough to repay starting
            them, 1: one after another. Unused on a GPU and under torchrun (members train in
            turn there; ``history_.jobs_unused`` says so).
    """

    model: str | tuple = AUTO
    units: tuple[int, ...] | None = None
    dropout: float = 0.0
    activation: str = "tanh"
    lookback: int | None = None
    horizon: int | tuple[int, ...] = 1
    strategy: str | None = None
    optimizer: str = "adam"
    lr: float | None = None
    momentum: float = 0.9
    loss: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    clip_norm: float = 1.0
    patience: int | None = None
    seed: int = 0
    device: str = "auto"
    scaler: str | None = None
    missing: str = "interpolate"
    test_size: Size = 0.2
    val_size: Size = 0.1
    season: int | None = None
    target_history: bool = True
    interval: float | None = None
    fallback: str | None = None
    embed: int = 0
    window_norm: str | None = None
    log: bool | None = None
    log_offset: float | None = None
    members: int | None = None
    quantile: float = 0.5
    pad: bool | None = None
    deseason: bool | None = None
    trend: int | None = None
    lookbacks: tuple[int, ...] | None = None
    losses: tuple[str, ...] | None = None
    quantiles: tuple[float, ...] | None = None
    jobs: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, str):
            object.__setattr__(self, "model", _spec_text(self.model))
        else:  # " stacked-gru " is stacked-gru: its name reads "the stacked-gru beats"
            object.__setattr__(self, "model", " ".join(self.model.split()))
        self._set_member_variants()
        self._set_quantiles()
        self._fill_left_out()
        object.__setattr__(self, "units", _parse_units(self.units))
        object.__setattr__(self, "horizon", _parse_horizon(self.horizon))
        object.__setattr__(self, "test_size", parse_size(self.test_size, "test_size"))
        object.__setattr__(self, "val_size", parse_size(self.val_size, "val_size"))
        for name, choices in (
            ("activation", ACTIVATIONS),
            ("optimizer", OPTIMIZERS),
            ("loss", LOSSES),
            ("missing", MISSING),
            ("device", DEVICES),
            ("window_norm", WINDOW_NORMS),
        ):
            _check_choice(name, getattr(self, name), choices)
        if self.scaler is not None:  # None: the recipe's, settled by the data
            _check_choice("scaler", self.scaler, SCALERS)
        if self.strategy is not None:
            _check_choice("strategy", self.strategy, STRATEGIES)
        for name, (low, high) in LIMITS.items():
            if getattr(self, name) is not None or name not in ("lookback", "trend"):
                _check_int(name, getattr(self, name), minimum=low, maximum=high)
        if self.trend == 1:
            raise ConfigError("`trend` is a slope over rows: give 2 or more, or 0 for none.")
        if self.interval is not None:
            check_level(self.interval)
        if self.fallback is not None:
            _check_choice("fallback", self.fallback, ("seasonal-naive",))
        for name in ("log", "pad", "deseason", "target_history"):
            value = getattr(self, name)
            left_out = value is None and name in ("log", "deseason")  # the data settle them
            if not isinstance(value, bool) and not left_out:
                raise SettingTypeError(f"`{name}` must be True or False, got {value!r}.")
        if self.smoothing:
            self._check_smoothing_options()
        if self.log and self.window_norm == "none":
            raise ConfigError("--log takes log ratios to a window's level; give --window-norm.")
        if self.window_norm != "none" and not self.target_history:
            raise ConfigError(
                "--window-norm normalises the target's own past; it needs the target history."
            )
        if self.trend and not self.target_history:
            raise ConfigError("--trend reads the target's own past; it needs the target history.")
        if self.season is not None:
            _check_int("season", self.season, minimum=1, maximum=MAX_ROWS)
        if self.jobs is not None:
            _check_int("jobs", self.jobs, minimum=1, maximum=256)
        _check_float("dropout", self.dropout, low=0.0, high=1.0, high_open=True)
        _check_float("lr", self.lr, low=0.0, low_open=True)
        _check_float("momentum", self.momentum, low=0.0, high=1.0, high_open=True)
        _check_float("clip_norm", self.clip_norm, low=0.0)
        _check_float("quantile", self.quantile, low=0.0, high=1.0, low_open=True, high_open=True)
        if self.log_offset is not None:
            _check_float("log_offset", self.log_offset, low=0.0, high=MAX_OFFSET)
            if self.log_offset and self.log is False:
                raise ConfigError(
                    "--log-offset shifts the values whose logs --log takes; give --log or "
                    "leave out --log-offset."
                )
        variants = len(self.lookbacks or (0,)) * len(self.losses or (0,))
        if self.members < variants:
            raise ConfigError(
                f"{variants} combinations of `lookbacks` and `losses` need at least {variants} "
                f"`members`, got {self.members}."
            )
        self.layers()  # the model spec is checked here, before any data is read

    def _set_member_variants(self) -> None:
        """Parse ``lookbacks`` and ``losses``; the lookback of the windows is the largest."""
        if self.lookbacks is not None:
            values = _parse_list(self.lookbacks, "lookbacks", int)
            for value in values:
                _check_int("lookbacks", value, *LIMITS["lookback"])
            if self.lookback is not None and self.lookback < max(values):
                raise ConfigError(
                    f"`lookback` ({self.lookback}) is shorter than the longest of `lookbacks` "
                    f"({max(values)}); leave it out or make it the longest."
                )
            object.__setattr__(self, "lookbacks", values)
            object.__setattr__(self, "lookback", self.lookback or max(values))
        if self.losses is not None:
            values = _parse_list(self.losses, "losses", str)
            for value in values:
                _check_choice("losses", value, LOSSES)
            object.__setattr__(self, "losses", values)

    def _set_quantiles(self) -> None:
        """Parse ``quantiles``: sorted, the median among them; they train on the pinball loss."""
        if self.quantiles is None:
            return
        values = _parse_list(self.quantiles, "quantiles", float)
        for value in values:
            _check_float("quantiles", value, low=0.0, high=1.0, low_open=True, high_open=True)
        object.__setattr__(self, "quantiles", tuple(sorted({*values, 0.5})))
        if self.loss not in (None, "pinball") or self.losses is not None:
            raise ConfigError(
                "--quantiles trains every quantile on its pinball loss; leave out --loss and "
                "--losses."
            )
        object.__setattr__(self, "loss", "pinball")
        if self.resolved_strategy() != "direct":
            raise ConfigError(
                f"--quantiles needs --strategy direct: the network emits every quantile of "
                f"every step at once, which {self.resolved_strategy()} cannot (it feeds "
                "forecasts back in)."
            )

    @property
    def point(self) -> int:
        """Position of the median (the point forecast) among ``quantiles``."""
        return self.quantiles.index(0.5) if self.quantiles else 0

    def member(self, k: int) -> FitConfig:
        """Member ``k``'s settings: one network, its own seed (``seed + k``), and its
        lookback and loss where the ensemble varies them."""
        lookbacks = self.lookbacks or (self.lookback,)
        losses = self.losses or (self.loss,)
        return dataclasses.replace(
            self,
            members=1,
            seed=self.seed + k,
            lookback=lookbacks[k % len(lookbacks)],
            loss=losses[(k // len(lookbacks)) % len(losses)],
            lookbacks=None,
            losses=None,
        )

    def _fill_left_out(self) -> None:
        """Settings left out (None) take the recipe's values (``model="auto"``) or the plain
        ones; what the data settle stays None until :meth:`resolve`. A spec that starts with
        ``es`` reads positive values unshifted: its scaler is ``mase`` (each series divided by
        a positive number, so that one loss weighs every series alike)."""
        recipe = self.model == AUTO
        for name, value in (RECIPE if recipe else PLAIN).items():
            if getattr(self, name) is not None:
                continue  # given: it wins
            if name == "window_norm" and not self.target_history:
                value = "none"  # nothing of the target's own to normalise
            if name == "scaler" and self.smoothing:
                value = "mase"
            object.__setattr__(self, name, value)

    @property
    def smoothing(self) -> bool:
        """Whether the model starts with per-series exponential smoothing (``es``, see
        :mod:`rnncast.nn.smoothing`)."""
        return bool(self._spec()) and self._spec()[0].kind == "es"

    def _check_smoothing_options(self) -> None:
        """``es`` divides each window by its own level and seasonal factors, positive values
        in their own units: what would scale, shift or deseasonalise them first is refused."""
        why = "es() divides each window by its own smoothed level and seasonal factors"
        if self.scaler in ("minmax", "standard"):
            raise ConfigError(
                f"{why}, so it needs positive values unshifted; use --scaler mase (the default "
                f"with es) or none, not {self.scaler}."
            )
        if self.window_norm != "none":
            raise ConfigError(f"{why}; leave out --window-norm.")
        if self.deseason:
            raise ConfigError(f"{why}, seasonal ones included; leave out --deseason.")
        if self.log:
            raise ConfigError(f"{why}, in logs already; leave out --log.")
        if self.trend:
            raise ConfigError(f"{why}, and its level carries the trend; leave out --trend.")
        if not self.target_history:
            raise ConfigError(f"{why}: it needs the target history.")

    def resolve(self, season: int, lowest: float | None = None) -> FitConfig:
        """The settings that the data settle, where they were left out: the lookback (the
        horizon, at least one ``season`` and two rows), the recipe's ``trend`` (over four
        lookbacks), ``deseason`` (the recipe's where there is a season), and once the
        training rows are known (``lowest``: the lowest of their target values) ``log`` (log
        ratios to the window's level where every value is positive, or with a ``log_offset``
        0 and above), ``log_offset`` (0) and the scaler (under logs ``mase``, which divides
        each series by its seasonal naive error and so weighs every series' MAE alike, as
        MASE does; else min-max)."""
        changes: dict[str, Any] = {}
        if self.lookback is None:
            changes["lookback"] = max(2, self.max_step, season)
        if self.trend is None:  # the recipe's: a drift the lookback alone is too short to show
            lookback = changes.get("lookback", self.lookback)
            changes["trend"] = 4 * lookback if self.target_history else 0
        if self.deseason is None:  # the recipe's: where the data have a season
            changes["deseason"] = season >= 2
        if lowest is not None and self.log is None:
            has_logs = lowest >= 0 if self.log_offset else lowest > 0
            changes["log"] = bool(has_logs) and self.window_norm != "none"
        log = changes.get("log", self.log)
        if lowest is not None and self.log_offset is None:
            changes["log_offset"] = 0.0
        elif lowest is not None and self.log_offset and not log:
            raise ConfigError(
                f"--log-offset shifts the values whose logs --log takes, and logs are off "
                f"here (a training value is {lowest:.4g}); leave out --log-offset."
            )
        if lowest is not None and self.scaler is None:
            changes["scaler"] = "mase" if log else "minmax"
        return dataclasses.replace(self, **changes) if changes else self

    @property
    def steps(self) -> tuple[int, ...]:
        """Forecast steps (leads, 1 = the next row) emitted from each window."""
        if isinstance(self.horizon, int):
            return tuple(range(1, self.horizon + 1))
        return self.horizon

    @property
    def max_step(self) -> int:
        return self.steps[-1]

    @property
    def window(self) -> int:
        """Rows of each input window: the lookback, or the ``trend``'s rows where longer
        (the network reads the last ``lookback`` of them, and the trend of them all)."""
        return max(self.lookback, self.trend or 0)

    @property
    def history(self) -> int:
        """Rows a forecast origin needs before it: the lookback, or one with ``pad``."""
        return 1 if self.pad else self.lookback

    @property
    def contiguous(self) -> bool:
        """Whether the steps are 1..H without gaps (recursion over blocks needs that)."""
        return self.steps == tuple(range(1, self.max_step + 1))

    def resolved_strategy(self) -> str:
        """The strategy in force: as given, or picked from the model spec."""
        if self.strategy is not None:
            return self.strategy
        return "seq2seq" if any(lay.kind == "seq2seq" for lay in self._spec()) else "direct"

    def layers(self):
        """The parsed layers of the network (see :mod:`rnncast.nn.spec`)."""
        strategy = self.resolved_strategy()
        if self.model in (*SIMPLE_MODELS, AUTO):
            if strategy == "seq2seq":
                if self.model == "dense":
                    raise ConfigError("--strategy seq2seq needs a recurrent --model, not dense.")
                cell = f"cell={self.cell}, activation={self.activation}"
                return parse_spec(f"seq2seq({self.units[0]}, {cell}) > dense")
            return parse_spec(self._simple_spec())
        self._check_simple_options_unused()
        layers = self._spec()
        has_seq2seq = any(lay.kind == "seq2seq" for lay in layers)
        if strategy == "seq2seq" and not has_seq2seq:
            raise ConfigError(
                "--strategy seq2seq needs an encoder-decoder: --model seq2seq, --model lstm, or "
                "a spec with seq2seq(...)."
            )
        if has_seq2seq and strategy != "seq2seq":
            raise ConfigError(
                f"The model has seq2seq(...), which emits every step itself; --strategy "
                f"{strategy} cannot apply. Leave --strategy out or use seq2seq."
            )
        return layers

    def _spec(self):
        return parse_spec(self.model) if self.model not in (*SIMPLE_MODELS, AUTO) else []

    @property
    def cell(self) -> str:
        """The layer kind of a simple model (the recipe's is an LSTM)."""
        return "lstm" if self.model == AUTO else self.model

    def _simple_spec(self) -> str:
        parts = []
        for size in self.units:
            if self.model == "dense":
                parts.append(f"dense({size}, {self.activation})")
            else:
                parts.append(f"{self.cell}({size}, activation={self.activation})")
            if self.dropout:
                parts.append(f"dropout({self.dropout})")
        return " > ".join([*parts, "dense"])

    def _check_simple_options_unused(self) -> None:
        for name in ("units", "dropout", "activation"):
            if getattr(self, name) != PLAIN.get(name, getattr(DEFAULTS, name)):
                raise ConfigError(
                    f"`{name}` shapes --model lstm, gru, rnn or dense only; with the spec "
                    f"{self.model!r} write sizes, dropout and activations into the spec."
                )

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FitConfig:
        """Build from a plain dict (a config file), refusing keys that are not settings."""
        known = set(setting_names())
        for key in values:
            if key not in known:
                raise ConfigError(
                    f"Unknown setting {key!r}.{closest(key, sorted(known))} "
                    f"Valid settings: {', '.join(sorted(known))}."
                )
        return cls(**values)

    @classmethod
    def from_saved(cls, values: dict[str, Any]) -> FitConfig:
        """The settled settings of a saved model, which may predate a setting: one left out
        of the file takes the value the model was built with then (``ADDED``)."""
        return cls.from_dict({**ADDED, **values})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every setting."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["units"] = list(self.units)
        for name in ("lookbacks", "losses", "quantiles"):
            if getattr(self, name) is not None:
                out[name] = list(getattr(self, name))
        if isinstance(self.horizon, tuple):
            out["horizon"] = list(self.horizon)
        return out


# The declared defaults, unfilled (None: left out): the defaults of the CLI and the API, so
# that a setting left out there is left out here too.
DEFAULTS = FitConfig.__new__(FitConfig)  # filled below without validation
for _f in dataclasses.fields(FitConfig):
    object.__setattr__(DEFAULTS, _f.name, _f.default)


def check_level(level: float) -> float:
    """An interval level must lie strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ConfigError(f"`interval` must be a level in (0, 1) such as 0.9, got {level!r}.")
    return float(level)


def with_settings_file(
    settings: dict[str, Any], path: str | Path, given: set[str] = frozenset()
) -> dict[str, Any]:
    """``settings`` overridden by a JSON settings file (flat, or under ``"settings"`` as in a
    run's config.json or tune's best.json), except the names in ``given``, which the user
    set explicitly and which win."""
    try:
        values = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read --config {str(path)!r}: {exc}.") from None
    values = values.get("settings", values) if isinstance(values, dict) else values
    if not isinstance(values, dict):
        raise ConfigError(f"--config {str(path)!r} must hold a JSON object of settings.")
    from_file = FitConfig.from_dict(values).to_dict()  # unknown keys are named here
    return {**settings, **{k: v for k, v in from_file.items() if k not in given}}


def setting_names() -> list[str]:
    """Names of every setting, in declaration order."""
    return [f.name for f in dataclasses.fields(FitConfig)]


def _parse_horizon(value: Any) -> int | tuple[int, ...]:
    """``7`` -> 7; ``"1,3,7"`` or ``[7, 1, 3]`` -> (1, 3, 7)."""
    if isinstance(value, str):
        try:
            parts = [int(p) for p in value.split(",") if p.strip()]
        except ValueError:
            raise ConfigError(
                f"`horizon` must be a whole number or steps separated by commas, e.g. 1,3,7; "
                f"got {value!r}."
            ) from None
        value = parts[0] if len(parts) == 1 else parts
    if isinstance(value, bool):
        raise SettingTypeError(
            f"`horizon` must be a whole number or a list of steps, got {value!r}."
        )
    if isinstance(value, int):
        if value < 1:
            raise ConfigError(f"`horizon` must be >= 1, got {value}.")
        if value > MAX_STEPS:
            raise ConfigError(f"`horizon` must be <= {MAX_STEPS:,}, got {value:,}.")
        return value
    try:
        steps = sorted(set(value))
    except TypeError:
        raise SettingTypeError(
            f"`horizon` must be a whole number or a list of steps, got {value!r}."
        ) from None
    if not steps or any(
        isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= MAX_STEPS for s in steps
    ):
        raise ConfigError(
            f"`horizon` steps must be whole numbers in [1, {MAX_STEPS:,}], got {value!r}."
        )
    if steps == list(range(1, len(steps) + 1)):
        return len(steps)  # 1,2,3 is horizon 3
    return tuple(steps)


def _spec_text(model: Any) -> str:
    return spec_text(parse_spec(model))


def _parse_list(value: Any, name: str, kind: type) -> tuple:
    """``"8,12"`` or ``[8, 12]`` -> (8, 12): at least one value, none twice."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            value = [kind(p) for p in parts]
        except ValueError:
            raise ConfigError(
                f"`{name}` must be values separated by commas; got {value!r}."
            ) from None
    if isinstance(value, str | int) or not hasattr(value, "__iter__"):
        raise SettingTypeError(f"`{name}` must be a list of values, got {value!r}.")
    values = tuple(value)
    if not values or len(set(values)) != len(values):
        raise ConfigError(f"`{name}` needs one or more different values; got {value!r}.")
    return values


def _parse_units(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            value = tuple(int(p) for p in parts)
        except ValueError:
            raise ConfigError(
                f"`units` must be whole numbers separated by commas, e.g. 64,32; got {value!r}."
            ) from None
    elif isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    try:
        units = tuple(value)
    except TypeError:
        raise SettingTypeError(f"`units` must be a list of layer sizes, got {value!r}.") from None
    if not units:
        raise ConfigError("`units` is empty; give at least one layer size, e.g. 64.")
    for u in units:
        if isinstance(u, bool) or not isinstance(u, int):
            raise SettingTypeError(f"`units` must hold whole numbers, got {u!r}.")
        if not 1 <= u <= MAX_UNITS:
            raise ConfigError(f"`units` must all be in [1, {MAX_UNITS:,}], got {u:,}.")
    if len(units) > MAX_LAYERS:
        raise ConfigError(f"`units` stacks {len(units)} layers; at most {MAX_LAYERS}.")
    return units


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise SettingTypeError(f"`{name}` must be one of {', '.join(choices)}; got {value!r}.")
    if value not in choices:
        raise ConfigError(
            f"`{name}` must be one of {', '.join(choices)}; got {value!r}."
            f"{closest(value, list(choices))}"
        )


def _check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingTypeError(f"`{name}` must be a whole number, got {value!r}.")
    if value < minimum:
        raise ConfigError(f"`{name}` must be >= {minimum}, got {value}.")
    if maximum is not None and value > maximum:
        raise ConfigError(f"`{name}` must be <= {maximum:,}, got {value:,}.")


def _check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingTypeError(f"`{name}` must be a number, got {value!r}.")
    if not math.isfinite(value):
        raise ConfigError(f"`{name}` must be a finite number, got {value!r}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        bounds = (
            f"{lo}{low if low is not None else '-inf'}, {high if high is not None else 'inf'}{hi}"
        )
        raise ConfigError(f"`{name}` must be in {bounds}, got {value!r}.")
