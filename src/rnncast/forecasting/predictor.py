"""A trained model's forecasting machinery: network, scaler, column roles, strategy, device.

:class:`Predictor` turns windows into forecasts, in scaled units (``run``, ``at_steps``) or
in original units (``predict``, ``one_step``, ``recursive``). The facade, many-series
forecasting, scoring, checkpoints, run directories and the experiments all use this one
object; none of them reaches into the :class:`rnncast.Forecaster`.

>>> import torch
>>> from rnncast.data.scaling import Scaler
>>> scaler = Scaler("none").fit_groups([np.zeros((4, 1))])
>>> net = build_net(FitConfig(model="dense", units=2, lookback=3), n_inputs=1, n_targets=1)
>>> p = Predictor(net, scaler, inputs=[0], targets=[0], lookback=3, steps=(1,),
...               strategy="direct", device=torch.device("cpu"))
>>> p.predict(np.ones((5, 3, 1))).shape
(5, 1, 1)
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import torch

from rnncast.config import FitConfig
from rnncast.data.prepared import PreparedData
from rnncast.data.scaling import Scaler
from rnncast.data.seasonal import first_phase
from rnncast.data.windows import Windows, pad_start
from rnncast.errors import ConfigError, DataError
from rnncast.evaluation.modes import roll_forward
from rnncast.nn.networks import (
    Ensemble,
    Quantiles,
    Recent,
    SeriesEmbedding,
    Trend,
    WindowNorm,
    build_network,
)
from rnncast.nn.smoothing import Smoothing
from rnncast.runtime import cores
from rnncast.runtime.precision import full_float32


def build_net(
    cfg: FitConfig,
    n_inputs: int,
    n_targets: int,
    n_series: int = 1,
    embed: int = 0,
    season: int = 1,
) -> torch.nn.Module:
    """The untrained network of ``cfg`` for ``n_inputs`` input and ``n_targets`` target
    columns; with ``embed``, each of ``n_series`` series also gets a learned vector; with
    ``members``, that many such networks whose forecast is their median; with
    ``quantiles``, every quantile of every step (see :class:`Quantiles`). ``season`` is the
    data's, for a spec that starts with ``es`` without one."""
    args = (n_inputs, n_targets, n_series, embed, season)
    if cfg.quantiles:
        return Quantiles(_build_members(cfg, *args, copies=len(cfg.quantiles)), cfg.quantiles)
    return _build_members(cfg, *args)


def trained_parts(net: torch.nn.Module) -> list[torch.nn.Module]:
    """The networks that train one after another: an ensemble's members, or the one network
    (under :class:`Quantiles`, whose blocks train together)."""
    net = net.net if isinstance(net, Quantiles) else net
    return list(net.members) if isinstance(net, Ensemble) else [net]


def _build_members(
    cfg, n_inputs, n_targets, n_series, embed, season, copies: int = 1, window: int = 0
):
    """:func:`build_net` below the quantiles: ``copies`` blocks of the steps out, from
    windows of ``window`` rows (the config's) of which each network reads its lookback."""
    window = window or cfg.window
    if cfg.members > 1:  # each member with its own lookback where they vary
        args = (n_inputs, n_targets, n_series, embed, season, copies, window)
        return Ensemble([_build_members(cfg.member(k), *args) for k in range(cfg.members)])
    steps = (1,) if cfg.resolved_strategy() == "recursive" else cfg.steps
    steps = steps * copies
    layers = cfg.layers()
    smoothing = layers.pop(0) if cfg.smoothing else None
    trend = n_targets if cfg.trend else 0  # one more input per target: its trend
    net = build_network(layers, n_inputs + trend + embed, cfg.lookback, len(steps), n_targets)
    net = SeriesEmbedding(net, n_series, embed) if embed else net
    targets = list(range(n_inputs - n_targets, n_inputs))  # the target history: last inputs
    if smoothing is not None:
        net = Smoothing(net, targets, n_series, smoothing.args["season"] or season, steps)
    elif cfg.window_norm != "none":
        net = WindowNorm(net, targets, cfg.window_norm, cfg.log, cfg.log_offset or 0.0)
    if cfg.trend:
        return Trend(net, targets, cfg.lookback, cfg.log, cfg.max_step, cfg.log_offset or 0.0)
    return Recent(net, cfg.lookback) if cfg.lookback < window else net


# Windows per network call: a recurrent layer holds its whole output sequence, (B, L, hidden)
# floats, so 200,000 windows of 30 steps through LSTM(64) would hold 1.5 GB at once.
CHUNK = 8192


def scale(scaler: Scaler, data: PreparedData) -> np.ndarray:
    """Every column of one series (T, F), its season removed and scaled with that series'
    scaler, as float32."""
    values = scaler.remove_season(data.frame.to_numpy(), data.group, phase(data))
    return scaler.transform(values, data.group).astype(np.float32)


def phase(data: PreparedData) -> int:
    """The seasonal phase of the first row of ``data`` (see :mod:`rnncast.data.seasonal`)."""
    return first_phase(data.frame.index, data.freq)


def window_array(
    windows, lookback: int, names: list[str], blank: bool = False, history: int = 1
) -> np.ndarray:
    """Windows for :meth:`Predictor.predict`: an array (B, L, F_in) or (L, F_in), or a
    DataFrame holding the input columns ``names`` whose last ``lookback`` rows are used.
    A missing or infinite value is an error that names where it is. With ``blank`` (a
    model whose trend skips rows before a series' first), a window may start with rows
    that are all NaN, a DataFrame's shorter than ``lookback`` is taken as such, and
    ``history`` rows of each must be numbers."""
    rows = None
    if isinstance(windows, pd.DataFrame):
        missing = [c for c in names if c not in windows.columns]
        if missing:
            raise DataError(f"predict() needs column {missing[0]!r}; it is not in the frame.")
        rows = windows.index[-lookback:]
        windows = windows[names].to_numpy(dtype=np.float64)[-lookback:]
        if blank and len(windows) < lookback:
            rows = [*[None] * (lookback - len(windows)), *rows]
            before = np.full((lookback - len(windows), len(names)), np.nan)
            windows = np.concatenate([before, windows])
    x = np.asarray(windows, dtype=np.float64)
    x = x[None] if x.ndim == 2 else x
    if x.ndim != 3 or x.shape[1:] != (lookback, len(names)):
        raise DataError(
            f"predict() needs windows of shape (B, {lookback}, {len(names)}) for columns "
            f"{', '.join(names)}; got {x.shape}."
        )
    bad = ~np.isfinite(x)
    if blank:  # rows before the series' first: all NaN, at the start of a window
        before = np.cumprod(np.isnan(x).all(axis=-1), axis=-1).astype(bool)  # (B, L)
        if (lookback - before.sum(axis=-1) < history).any():
            raise DataError(
                f"predict() needs at least {history} rows of numbers at the end of each "
                f"window (rows before a series' first may be NaN)."
            )
        bad &= ~before[..., None]
    if bad.any():
        b, t, c = np.argwhere(bad)[0]
        where = f"row {rows[t]!r}" if rows is not None else f"window {b}, row {t}"
        raise DataError(
            f"predict() got {x[b, t, c]} in column {names[c]!r} at {where}; every value of a "
            "window must be a finite number (fill or drop the gap first)."
        )
    return x


NO_WINDOWS = (
    "This model reads known future inputs, which a window of the past does not hold; "
    "forecast with forecast(steps, data=..., future=...) instead."
)


NO_SEASON = (
    "This model divides out each series' season, which a window without dates cannot place; "
    "give predict() a DataFrame with its dates, or forecast with forecast(steps, data=...)."
)


class Predictor:
    """A trained network with what it needs to forecast.

    Args:
        net: Maps scaled windows (B, L, F_in) (and, when ``embedded``, series numbers (B,))
            to scaled forecasts (B, S_net, C): one step under recursion, else every step.
        scaler: Fitted per-column scaler, one row per series.
        inputs: Positions of the network's input columns in a series' frame.
        targets: Positions of the forecast columns in a series' frame.
        lookback: Window length L.
        steps: The forecast steps (1-based); under recursion, reached by rolling one step.
        strategy: ``direct``, ``recursive`` or ``seq2seq``.
        device: Where the network runs.
        embedded: Whether the network takes the series number beside each window.
        known: Positions of the columns known ahead of time in a series' frame. The network
            reads each of them *ahead*: beside row t of a window it sees the known value of
            row t + ``reach`` (as extra columns after the frame's, see :meth:`scaled`), so a
            window carries the known values of every step it forecasts.
        pad: Whether a window may start before its series' first row (those rows repeat it).
        reads: Rows of each window the network reads, the last (its lookback); the rows
            before them only its trend (:class:`rnncast.nn.networks.Trend`). None: the
            whole window.
        blank: Whether rows before a series' first are NaN in a window, not copies of its
            first row (for the trend, which skips them).
    """

    def __init__(
        self,
        net: torch.nn.Module,
        scaler: Scaler,
        inputs: list[int],
        targets: list[int],
        lookback: int,
        steps: tuple[int, ...],
        strategy: str,
        device: torch.device,
        embedded: bool = False,
        known: list[int] = (),
        pad: bool = False,
        reads: int | None = None,
        blank: bool = False,
    ) -> None:
        self.net, self.scaler, self.inputs, self.targets = net, scaler, inputs, targets
        self.lookback, self.steps, self.strategy = lookback, tuple(steps), strategy
        self.device, self.embedded, self.known = device, embedded, list(known)
        self.pad, self.reads, self.blank = pad, reads or lookback, blank

    def padded(self, values: np.ndarray, origins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``values`` (T, F) of one series with rows put before it where a window of
        ``origins`` starts before its first row, and the origins moved to match (see
        :func:`rnncast.data.windows.pad_start`)."""
        return pad_start(values, np.asarray(origins), self.lookback, blank=self.blank)

    @property
    def history(self) -> int:
        """The fewest rows a forecast origin needs before it: the lookback, or one when
        windows may start before the series (``pad``, see
        :func:`rnncast.data.windows.pad_start`)."""
        return 1 if self.pad else self.reads

    @property
    def reach(self) -> int:
        """How far ahead the network reads known values: the rows of one network call."""
        return 1 if self.strategy == "recursive" else self.max_step

    @property
    def past(self) -> list[int]:
        """Positions of the past covariates among the inputs: known up to an origin only."""
        return [i for i in self.inputs if i < min(self.known + self.targets)]

    @property
    def free_running(self) -> bool:
        """Whether the model can forecast a whole test part fed its own forecasts: the steps
        chain, and no input is a past covariate (unknown beyond one horizon)."""
        return self.contiguous and not self.past

    @property
    def step_by_step(self) -> bool:
        """Whether recursion must run outside the network, one step per call: each new step
        needs known values that are not in the window."""
        return self.strategy == "recursive" and bool(self.known)

    @property
    def max_step(self) -> int:
        return self.steps[-1]

    @property
    def contiguous(self) -> bool:
        """Whether the steps are 1..H without gaps (only those can be chained)."""
        return self.steps == tuple(range(1, self.max_step + 1))

    # -- scaled units ------------------------------------------------------------------------
    def scaled(self, data: PreparedData, ahead: int = 0) -> np.ndarray:
        """Every column of one series, scaled with that series' scaler, as float32: (T, F),
        and with known columns (T + ahead, F + K): each known column once more, ``reach``
        rows ahead, and ``ahead`` rows past the data holding only known values (NaN where
        a value is not known)."""
        values = scale(self.scaler, data)
        if not self.known:
            return values
        n, g, cols = len(values), data.group, self.known
        later = data.known_ahead(ahead + self.reach)  # (ahead + reach, K), NaN where unknown
        later = (later - self.scaler.shift_[g][cols]) / self.scaler.scale_[g][cols]
        known = np.concatenate([values[:, cols], later])  # (T + ahead + reach, K)
        rows = np.full((n + ahead, values.shape[1]), np.nan, dtype=np.float64)
        rows[:n] = values
        rows[n:, cols] = later[:ahead]
        lead = known[self.reach : self.reach + n + ahead]
        return np.concatenate([rows, lead], axis=1).astype(np.float32)

    def run(self, x: np.ndarray, group: int | np.ndarray = 0) -> np.ndarray:
        """Scaled windows (B, L, F_in) of series ``group`` (one, or one per window) ->
        scaled forecasts (B, S, C): the configured steps, or under recursion every step
        1 .. max step, each fed the ones before it. At most ``CHUNK`` windows go through the
        network at once, so memory stays bounded however many there are."""
        if len(x) <= CHUNK:
            return self._run(x, group)
        groups = np.broadcast_to(np.asarray(group), (len(x),))
        return np.concatenate(
            [self._run(x[i : i + CHUNK], groups[i : i + CHUNK]) for i in range(0, len(x), CHUNK)]
        )

    @torch.inference_mode()
    def _run(self, x: np.ndarray, group: int | np.ndarray) -> np.ndarray:
        """:meth:`run` for at most ``CHUNK`` windows."""
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device)
        series = None
        if self.embedded:
            groups = np.broadcast_to(np.asarray(group, dtype=np.int64), (len(xt),))
            series = torch.from_numpy(groups.copy()).to(self.device)
        n = cores.count(len(xt), self.device)
        with full_float32(self.device), cores.few_windows(len(xt), self.device), cores.spread(n):
            parts = list(zip(xt.tensor_split(n), cores.split(series, n), strict=True))
            return np.concatenate(cores.run(lambda part: self._roll(*part), parts))

    def _roll(self, xt: torch.Tensor, series: torch.Tensor | None) -> np.ndarray:
        """:meth:`run` for one shard of the windows, as tensors on the device."""
        if self.strategy != "recursive" or self.step_by_step:
            return self.net(xt, series).cpu().numpy()
        where = [self.targets.index(i) for i in self.inputs]  # inputs are all targets
        outputs = []
        for _ in range(self.max_step):
            step = self.net(xt, series)[:, 0]  # (B, 1, C) -> (B, C)
            outputs.append(step)
            xt = torch.cat([xt[:, 1:], step[:, None, where]], dim=1)  # slide the window on
        return torch.stack(outputs, dim=1).cpu().numpy()  # S x (B, C) -> (B, S, C)

    def at_steps(self, x: np.ndarray, group: int | np.ndarray = 0) -> np.ndarray:
        """Scaled forecasts (B, S, C) at exactly the configured steps."""
        if self.step_by_step and self.max_step > 1:
            raise ConfigError(
                "This model reads known inputs at every step, so forecasting several steps "
                "needs their future values: use forecast(steps, future=...) or evaluate."
            )
        block = self.run(x, group)
        if self.strategy == "recursive":
            return block[:, np.asarray(self.steps) - 1]
        return block

    # -- original units ----------------------------------------------------------------------
    def predict(self, x: np.ndarray, group: int = 0, phase: int | None = None) -> np.ndarray:
        """Windows (B, L, F_in) in original units -> forecasts (B, S, C) in original units.
        A model that divides out seasons needs the ``phase`` of the windows' first row."""
        if self.known:
            raise ConfigError(NO_WINDOWS)
        if self.scaler.seasonal and phase is None:
            raise ConfigError(NO_SEASON)
        cols = self.inputs
        x = self.scaler.remove_season(x, group, phase or 0, cols)
        scaled = (x - self.scaler.shift_[group][cols]) / self.scaler.scale_[group][cols]
        out = self.scaler.inverse(self.at_steps(scaled, group), self.targets, group)
        if not self.scaler.seasonal:
            return out
        rows = phase + self.lookback + np.asarray(self.steps) - 1  # (S,)
        return self.scaler.add_season(out, self.targets, group, rows)

    def one_step(self, data: PreparedData, origins: np.ndarray) -> np.ndarray:
        """Forecasts (N, S, C) in original units from the true history before each origin."""
        if self.step_by_step:  # each origin rolled one step at a time over its known values
            block = self.recursive(data, origins, self.max_step)  # (N, max step, C)
            return block[:, np.asarray(self.steps) - 1]
        values, at = self.padded(self.scaled(data), origins)
        x, _ = Windows(values, self.lookback, self.steps, self.inputs, self.targets, at).arrays()
        return self.original(self.at_steps(x, data.group), data, self.rows(origins))

    @property
    def quantiles(self) -> tuple[float, ...] | None:
        """The quantiles the network forecasts beside its point forecast, if any."""
        return self.net.quantiles if isinstance(self.net, Quantiles) else None

    def quantile_forecasts(self, data: PreparedData, origins: np.ndarray) -> np.ndarray:
        """Every quantile (N, S, C, Q) in original units, from the true history before each
        origin (the one-step mode's windows; an origin may be the end of the data)."""
        values, at = self.padded(self.scaled(data), origins)
        rows = at[:, None] - self.lookback + np.arange(self.lookback)  # (N, L)
        x = values[rows][:, :, self.inputs]
        series = torch.full((CHUNK,), data.group, dtype=torch.long, device=self.device)
        parts = []
        with torch.inference_mode(), full_float32(self.device):
            for i in range(0, len(x), CHUNK):
                xt = torch.from_numpy(np.ascontiguousarray(x[i : i + CHUNK])).to(self.device)
                s = series[: len(xt)] if self.embedded else None
                parts.append(self.net.every(xt, s).cpu().numpy())
        scaled = np.moveaxis(np.concatenate(parts), -1, 0)  # (Q, N, S, C)
        return np.moveaxis(self.original(scaled, data, self.rows(origins)), 0, -1)

    def recursive(self, data: PreparedData, start, steps: int) -> np.ndarray:
        """Forecasts (steps, C) in original units from ``start``, fed their own predictions;
        (B, steps, C) from an array of B origins. Past the data's end the known columns take
        their future values (:meth:`PreparedData.known_ahead`)."""
        ahead = max(0, int(np.max(start)) + steps - len(data.frame))
        out = roll_forward(
            self.scaled(data, ahead),
            start,
            steps,
            functools.partial(self.run, group=data.group),
            self.lookback,
            1 if self.step_by_step else self.max_step,
            self.inputs,
            self.targets,
            align_end=bool(self.known),
            blank=self.blank,
        )
        rows = np.asarray(start)[..., None] + np.arange(steps)  # (steps,) or (B, steps)
        return self.original(out, data, rows)

    def rows(self, origins: np.ndarray) -> np.ndarray:
        """The rows (N, S) that windows at ``origins`` forecast."""
        return np.asarray(origins)[:, None] + np.asarray(self.steps) - 1

    def original(self, out: np.ndarray, data: PreparedData, rows: np.ndarray) -> np.ndarray:
        """Scaled forecasts (..., C) of ``data``'s series in original units: the scaling
        undone, and the season put back by ``rows`` (their positions in ``data``'s frame,
        past its end for a forecast; broadcast to ``out.shape[:-1]``)."""
        values = self.scaler.inverse(out, self.targets, data.group)
        if not self.scaler.seasonal:
            return values
        return self.scaler.add_season(values, self.targets, data.group, phase(data) + rows)
