"""The user-facing forecaster: scikit-learn style, one object from data to forecast.

>>> import numpy as np, pandas as pd
>>> t = np.arange(120)
>>> df = pd.DataFrame({"date": pd.date_range("2020-01-01", periods=120, freq="MS"),
...                    "y": 10 + np.sin(2 * np.pi * t / 12)})
>>> f = Forecaster(model="gru", units=8, lookback=12, epochs=3, seed=0).fit(df, target="y")
>>> f.forecast(steps=2).columns.tolist()
['date', 'y']
>>> sorted(f.evaluate()["test"])
['one_step', 'recursive']
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnncast.config import FitConfig, Size, setting_names
from rnncast.data.io import check_file, file_sha256, is_parquet, parquet_series, read_table
from rnncast.data.prepare import PreparedData, prepare, prepare_series, refill_causally
from rnncast.data.scaling import Scaler
from rnncast.data.split import Split, chronological_split
from rnncast.data.windows import Windows, origins_between
from rnncast.errors import ConfigError, DataError, NotFittedError
from rnncast.evaluation.baselines import infer_season
from rnncast.evaluation.intervals import (
    check_level,
    conformal_quantile,
    minimum_residuals,
)
from rnncast.evaluation.modes import check_history, roll_forward
from rnncast.evaluation.scoring import score
from rnncast.forecasting import panel
from rnncast.nn.networks import SeriesEmbedding, build_network
from rnncast.runtime import cores
from rnncast.runtime import distributed as dist
from rnncast.training.loop import History, resolve_device, seed_everything, train

_D = FitConfig()  # the one source of default values


class Forecaster:
    """Fit a recurrent network to a series, evaluate it honestly and forecast real future dates.

    Every argument is a setting of :class:`rnncast.FitConfig` (the CLI option of the same name
    with ``-`` for ``_``), plus ``verbose`` for a progress display. The constructor only stores
    them; ``fit`` validates them.
    """

    def __init__(
        self,
        model: str | Sequence = _D.model,
        units: int | Sequence[int] | str = _D.units,
        dropout: float = _D.dropout,
        activation: str = _D.activation,
        lookback: int = _D.lookback,
        horizon: int | Sequence[int] | str = _D.horizon,
        strategy: str | None = _D.strategy,
        optimizer: str = _D.optimizer,
        lr: float = _D.lr,
        momentum: float = _D.momentum,
        loss: str = _D.loss,
        epochs: int = _D.epochs,
        batch_size: int = _D.batch_size,
        clip_norm: float = _D.clip_norm,
        patience: int = _D.patience,
        seed: int = _D.seed,
        device: str = _D.device,
        scaler: str = _D.scaler,
        missing: str = _D.missing,
        test_size: Size = _D.test_size,
        val_size: Size = _D.val_size,
        season: int | None = _D.season,
        target_history: bool = _D.target_history,
        interval: float | None = _D.interval,
        fallback: str | None = _D.fallback,
        embed: int = _D.embed,
        verbose: bool = False,
    ) -> None:
        self.model, self.units, self.dropout, self.activation = model, units, dropout, activation
        self.lookback, self.horizon, self.strategy = lookback, horizon, strategy
        self.optimizer, self.lr, self.momentum, self.loss = optimizer, lr, momentum, loss
        self.epochs, self.batch_size, self.clip_norm = epochs, batch_size, clip_norm
        self.patience, self.seed, self.device = patience, seed, device
        self.scaler, self.missing = scaler, missing
        self.test_size, self.val_size, self.season = test_size, val_size, season
        self.target_history, self.interval, self.verbose = target_history, interval, verbose
        self.fallback, self.embed = fallback, embed

    # -- scikit-learn protocol -------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor arguments as stored."""
        return {name: getattr(self, name) for name in [*setting_names(), "verbose"]}

    def set_params(self, **params: Any) -> Forecaster:
        """Change constructor arguments; unknown names are an error."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ConfigError(f"Unknown setting {name!r}; valid: {', '.join(valid)}.")
            setattr(self, name, value)
        return self

    def config(self) -> FitConfig:
        """The validated settings."""
        params = self.get_params()
        params.pop("verbose")
        return FitConfig(**params)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != getattr(_D, k, False)}
        return f"Forecaster({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        data: Any,
        target: str | Sequence[str],
        date: str | None = None,
        features: Sequence[str] | str = (),
        id: str | None = None,
        on_epoch=None,
        distributed: bool = False,
        checkpoint: str | None = None,
    ) -> Forecaster:
        """Prepare ``data``, split it in time, scale on training rows, train and score on test.

        Args:
            data: CSV or Parquet path, DataFrame or Series.
            target: Column to forecast, or several (``"a,b,c"`` or a list) forecast at once.
            date: Date column (detected by name when omitted; none means a plain row index).
            features: Extra input columns whose past values help predict the target.
            id: Column naming the series of long-format data with many series: one global
                model is trained on windows of every series, each with its own scaler.
            on_epoch: Optional callback ``(epoch, train_loss, val_loss)`` after every epoch.
            distributed: Train on every process torchrun started (see
                :mod:`rnncast.runtime.distributed`); only rank 0 scores the model.
            checkpoint: Directory for a resumable checkpoint: SIGINT (Ctrl-C) or SIGTERM then
                stops training at the next batch, writes it there and raises
                :class:`rnncast.persistence.checkpoint.TrainingInterrupted`; :meth:`resume` goes on.

        Returns:
            self, fitted.
        """
        inputs = {"target": target, "date": date, "features": features or (), "id": id}
        return self._fit(data, inputs, on_epoch, distributed, checkpoint, resume=None)

    @classmethod
    def resume(cls, path: str, data: Any = None, on_epoch=None, verbose: bool = False):
        """Continue an interrupted fit from its checkpoint directory.

        With a fixed seed on CPU the result has exactly the weights an uninterrupted fit
        would have had. ``data`` is needed only when the fit was given a DataFrame; a file is
        read again from its path and must still have the same contents (SHA-256).
        """
        from rnncast.persistence.checkpoint import read_checkpoint

        ckpt = read_checkpoint(path)
        fit = ckpt.fit
        data = _resume_data(fit["source"], data, path)
        f = cls(**ckpt.config.to_dict(), verbose=verbose)
        inputs = {k: fit.get(k) for k in ("target", "date", "features", "id")}
        return f._fit(data, inputs, on_epoch, False, str(path), resume=ckpt)

    def _fit(self, data, inputs, on_epoch, distributed, checkpoint, resume) -> Forecaster:
        cfg = self.config()
        prepared = _prepare_input(data, **inputs, missing=cfg.missing)
        if not cfg.target_history and not prepared.features:
            raise ConfigError("--no-target-history needs --features: the network needs inputs.")
        for name, value in (("--fallback", cfg.fallback), ("--embed", cfg.embed)):
            if value and not prepared.ids:
                raise ConfigError(
                    f"{name} applies to many series in long format; it needs --id naming the "
                    "series column (leave it out for one series)."
                )
        splits, usable = panel.split_series(prepared, cfg)
        _refill_before_boundaries(prepared, splits)
        season = cfg.season or infer_season(prepared.freq)
        scaler = Scaler(cfg.scaler).fit_groups(
            [prepared.series(g).frame.to_numpy()[: max(s.n_train, 1)] for g, s in enumerate(splits)]
        )
        self._set_state(cfg, prepared, splits, season, scaler, _describe_source(data), usable)
        _check_scaled(self, prepared)
        ctx = dist.start(cfg.batch_size) if distributed else dist.SINGLE
        self.device_ = dist.device_for(ctx, resolve_device(cfg.device))
        with contextlib.ExitStack() as stack:
            stop = None
            if checkpoint is not None and not distributed:
                from rnncast.persistence.checkpoint import stop_on_signals

                stop = stack.enter_context(stop_on_signals())
            if on_epoch is None and self.verbose:
                from rnncast.training.progress import epoch_progress

                on_epoch = stack.enter_context(epoch_progress(None, cfg.epochs, enabled=ctx.main))
            self.net_ = self._train(on_epoch, ctx, stop, resume)
        if self.history_.interrupted is not None:
            from rnncast.persistence.checkpoint import interrupted

            fit = {
                "source": self.source_,
                "target": list(prepared.targets),
                "date": prepared.date,
                "features": list(prepared.features),
                "id": prepared.id_column,
            }
            raise interrupted(self, checkpoint, fit, stop.signum if stop else 0)
        dist.finish(ctx)
        self.rank_ = ctx.rank
        self.metrics_ = self._score_all() if ctx.main else None
        return self

    def _set_state(self, cfg, prepared, splits, season, scaler, source, usable) -> None:
        self.config_, self.data_, self.season_ = cfg, prepared, season
        self.splits_, self.usable_, self.split_ = list(splits), list(usable), splits[0]
        self.scaler_, self.source_ = scaler, source
        self.layers_, self.strategy_ = cfg.layers(), cfg.resolved_strategy()
        n_feat = len(prepared.features)
        self.targets_ = list(range(n_feat, n_feat + len(prepared.targets)))
        self.inputs_ = list(range(n_feat)) + (self.targets_ if cfg.target_history else [])
        if self.strategy_ == "recursive" and prepared.features:
            raise ConfigError(
                "--strategy recursive feeds the model its own predictions, so every input must "
                "be a target; with --features use --strategy direct or seq2seq, or list those "
                "columns as targets too."
            )
        # The network emits one step under recursion, else every forecast step at once.
        self.net_steps_ = (1,) if self.strategy_ == "recursive" else cfg.steps

    def _train(self, on_epoch, ctx=dist.SINGLE, stop=None, resume=None) -> torch.nn.Module:
        values, train_origins, val_origins = panel.training_origins(self, max(self.net_steps_))
        cfg, embedded = self.config_, self._embedded()

        def windows(origins) -> Windows:
            return Windows(
                values,
                cfg.lookback,
                self.net_steps_,
                self.inputs_,
                self.targets_,
                origins,
                with_series=embedded,
            )

        train_set = windows(train_origins)
        val_set = windows(val_origins) if len(val_origins) else None
        seed_everything(cfg.seed)
        net = self._build()
        if resume is not None:
            from rnncast.persistence.checkpoint import restore

            resume = restore(resume, net, "the checkpoint")
        net = net.to(self.device_)
        self.history_: History = train(
            net, train_set, val_set, cfg, self.device_, on_epoch, ctx, stop, resume
        )
        return net.eval()

    def _embedded(self) -> bool:
        return bool(self.config_.embed and self.data_.ids)

    def _build(self) -> torch.nn.Module:
        embed = self.config_.embed if self._embedded() else 0
        net = build_network(
            self.layers_,
            len(self.inputs_) + embed,
            self.config_.lookback,
            len(self.net_steps_),
            len(self.targets_),
        )
        return SeriesEmbedding(net, self.data_.n_series, embed) if embed else net

    # -- predicting ------------------------------------------------------------------------
    def _scaled(self, data: PreparedData) -> np.ndarray:
        return self.scaler_.transform(data.frame.to_numpy(), data.group).astype(np.float32)

    @torch.inference_mode()
    def _block(self, x: np.ndarray, group: int | np.ndarray = 0) -> np.ndarray:
        """Scaled windows (B, L, F_in) of series ``group`` -> scaled forecasts (B, S, C): the
        configured steps, or under recursion every step 1 .. max step, each fed the ones
        before it."""
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(self.device_)
        series = None
        if self._embedded():  # one series for every window, or one per window
            groups = np.broadcast_to(np.asarray(group, dtype=np.int64), (len(xt),))
            series = torch.from_numpy(groups.copy()).to(self.device_)
        n = cores.count(len(xt), self.device_)
        with cores.few_windows(len(xt), self.device_), cores.spread(n):
            parts = list(zip(xt.tensor_split(n), cores.split(series, n), strict=True))
            return np.concatenate(cores.run(lambda part: self._roll(*part), parts))

    def _roll(self, xt: torch.Tensor, series: torch.Tensor | None) -> np.ndarray:
        """:meth:`_block` for one shard of the windows, as tensors on the device."""
        if self.strategy_ != "recursive":
            return self.net_(xt, series).cpu().numpy()
        where = [self.targets_.index(i) for i in self.inputs_]  # inputs are all targets
        outputs = []
        for _ in range(self.config_.max_step):
            step = self.net_(xt, series)[:, 0]  # (B, 1, C) -> (B, C)
            outputs.append(step)
            xt = torch.cat([xt[:, 1:], step[:, None, where]], dim=1)  # slide the window on
        return torch.stack(outputs, dim=1).cpu().numpy()  # S x (B, C) -> (B, S, C)

    def _at_steps(self, x: np.ndarray, group: int = 0) -> np.ndarray:
        """Scaled forecasts (B, S, C) at exactly the configured steps."""
        block = self._block(x, group)
        if self.strategy_ == "recursive":
            return block[:, np.asarray(self.config_.steps) - 1]
        return block

    def predict(self, windows: np.ndarray | pd.DataFrame, series: str | None = None) -> np.ndarray:
        """Forecast from windows in original units.

        Args:
            windows: Array (B, L, F_in) or (L, F_in) of input columns (features, then the
                targets), or a DataFrame holding those columns whose last L rows are used.
            series: With many series, whose scaler to use (its name in the id column).

        Returns:
            Forecasts in original units, shape (B, S, C): one row per forecast step.
        """
        self._check_fitted()
        x = self._window_array(windows)
        group, cols = panel.group_of(self, series), self.inputs_
        scaled = (x - self.scaler_.shift_[group][cols]) / self.scaler_.scale_[group][cols]
        return self.scaler_.inverse(self._at_steps(scaled, group), self.targets_, group)

    def _window_array(self, windows) -> np.ndarray:
        L, names = self.config_.lookback, [self.data_.columns[i] for i in self.inputs_]
        if isinstance(windows, pd.DataFrame):
            missing = [c for c in names if c not in windows.columns]
            if missing:
                raise DataError(f"predict() needs column {missing[0]!r}; it is not in the frame.")
            windows = windows[names].to_numpy(dtype=np.float64)[-L:]
        x = np.asarray(windows, dtype=np.float64)
        x = x[None] if x.ndim == 2 else x
        if x.ndim != 3 or x.shape[1:] != (L, len(names)):
            raise DataError(
                f"predict() needs windows of shape (B, {L}, {len(names)}) for columns "
                f"{', '.join(names)}; got {x.shape}."
            )
        return x

    def forecast(self, steps: int | None = None, interval: float | None = None) -> pd.DataFrame:
        """Forecast beyond the last observation, in original units.

        Args:
            steps: How many steps (default: the horizon). Beyond one horizon the model is fed
                its own forecasts. With a set of horizon steps (``horizon=(1, 3, 7)``) the
                forecast holds exactly those steps and ``steps`` must be left out.
            interval: Level of a prediction interval (default: the fitted ``interval``); adds
                ``lower`` and ``upper`` columns (``<target>_lower`` ... with several targets),
                calibrated on the validation part. Steps too far ahead for the validation part
                to calibrate get no bounds (NaN).

        Returns:
            A DataFrame with the date column (real future dates; ``step`` without dates) and
            one column per target.
        """
        self._check_fitted()
        if self.data_.ids:
            return panel.forecast_panel(self, steps, interval)
        return self._forecast_one(self.data_, self.split_, steps, interval)

    def _forecast_one(self, data, split, steps, interval) -> pd.DataFrame:
        """The forecast of one series (``data``, split as ``split``)."""
        cfg, n = self.config_, len(data.frame)
        check_history(n, cfg.lookback)
        if not cfg.contiguous:
            if steps is not None:
                raise ConfigError(
                    f"With --horizon {','.join(map(str, cfg.steps))} the forecast holds exactly "
                    "those steps; leave out --steps."
                )
            x = self._scaled(data)[None, n - cfg.lookback :][:, :, self.inputs_]
            values = self.scaler_.inverse(
                self._at_steps(x, data.group)[0], self.targets_, data.group
            )
            leads = list(cfg.steps)
        else:
            steps = cfg.max_step if steps is None else steps
            if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
                raise ConfigError(f"`steps` must be a whole number >= 1, got {steps!r}.")
            values = self._recursive(data, start=n, steps=steps)
            leads = list(range(1, steps + 1))
        frame = pd.DataFrame(values, columns=list(data.targets))
        frame.insert(0, data.date or "step", future_index(data, leads))
        level = interval if interval is not None else cfg.interval
        if level is not None:
            check_level(level)
            _check_calibration(split, cfg)
            if cfg.contiguous:
                half = self._calibrate_recursive(data, split, level, len(leads))
            else:
                half = self._calibrate_one_step(data, split, level)
            _add_bounds(frame, list(data.targets), values, half)
        return frame

    # -- intervals -------------------------------------------------------------------------
    def _calibrate_one_step(self, data, split, level: float) -> np.ndarray:
        """Half-widths (S, C) from one-step forecasts made on the validation part."""
        cfg, n = self.config_, len(data.frame)
        origins = origins_between(split.val_start, split.test_start, cfg.lookback, cfg.max_step, n)
        y = data.frame.to_numpy()[:, self.targets_]
        residuals = self._one_step(data, origins) - y[origins[:, None] + np.asarray(cfg.steps) - 1]
        return conformal_quantile(residuals, level)

    def _calibrate_recursive(self, data, split, level: float, leads: int) -> np.ndarray:
        """Half-widths (K, C) for leads 1..K of forecasts fed their own predictions, from
        every validation origin (a lead that would reach the test part is left out)."""
        y = data.frame.to_numpy()[:, self.targets_]
        origins = np.arange(max(split.val_start, self.config_.lookback), split.test_start)
        forecasts = self._recursive(data, origins, leads)  # (B, K, C), original units
        rows = origins[:, None] + np.arange(leads)  # (B, K)
        residuals = forecasts - y[np.minimum(rows, len(y) - 1)]
        residuals[rows >= split.test_start] = np.nan  # never calibrate on the test part
        return conformal_quantile(residuals, level)

    # -- evaluation ------------------------------------------------------------------------
    def evaluate(self, data: Any = None) -> dict[str, Any]:
        """Test metrics in original units for the model and the baselines, in both modes.

        Args:
            data: New data with the same columns, split with the same settings and scaled
                with the fitted scaler; by default the data the model was fitted on.

        Returns:
            The ``metrics.json`` dictionary (see docs/evaluation.md).
        """
        self._check_fitted()
        if data is None:
            return self.metrics_
        if self.data_.ids:
            return panel.evaluate_panel(self, data)
        return score(self, *self._prepared(data))

    def _score_all(self) -> dict[str, Any]:
        if self.data_.ids:
            return panel.score_panel(self, self.data_, self.splits_, self.usable_)
        return score(self, self.data_, self.split_)

    def _prepared(self, data: Any = None) -> tuple[PreparedData, Split]:
        """New data prepared and split as the fitted data was; the fitted data by default."""
        if self.data_.ids:
            raise ConfigError("This needs one series; it does not take data with --id yet.")
        if data is None:
            return self.data_, self.split_
        d, cfg = self.data_, self.config_
        prepared = prepare(read_table(data), d.targets, d.date, d.features, cfg.missing)
        split = chronological_split(prepared.frame.index, cfg.test_size, cfg.val_size)
        _refill_before_boundaries(prepared, [split])
        return prepared, split

    def _one_step(self, data: PreparedData, origins: np.ndarray) -> np.ndarray:
        """Forecasts (N, S, C) in original units from the true history before each origin."""
        cfg = self.config_
        scaled = self._scaled(data)
        windows = Windows(scaled, cfg.lookback, cfg.steps, self.inputs_, self.targets_, origins)
        x, _ = windows.arrays()
        return self.scaler_.inverse(self._at_steps(x, data.group), self.targets_, data.group)

    def _recursive(self, data: PreparedData, start, steps: int) -> np.ndarray:
        """Forecasts (steps, C) in original units from ``start``, fed their own predictions;
        (B, steps, C) from an array of B origins."""
        cfg = self.config_
        out = roll_forward(
            self._scaled(data),
            start,
            steps,
            functools.partial(self._block, group=data.group),
            cfg.lookback,
            cfg.max_step,
            self.inputs_,
            self.targets_,
        )
        return self.scaler_.inverse(out, self.targets_, data.group)

    def test_forecasts(self, data: Any = None) -> dict[str, Any]:
        """The model's forecasts of the test part in original units, for comparisons.

        Args:
            data: New data split as the fitted data was (the fitted data by default).

        Returns:
            ``origins`` (N,) of the one-step mode, ``actual`` and ``one_step`` (N, S, C);
            ``recursive_actual`` and, with contiguous steps, ``recursive`` (n_test, C);
            ``history`` (T, C), every target value of the data, and its ``split``.
        """
        self._check_fitted()
        cfg, (data, split) = self.config_, self._prepared(data)
        n = len(data.frame)
        y = data.frame.to_numpy()[:, self.targets_]
        origins = origins_between(split.test_start, n, cfg.lookback, cfg.max_step, n)
        out = {
            "origins": origins,
            "actual": y[origins[:, None] + np.asarray(cfg.steps) - 1],
            "one_step": self._one_step(data, origins),
            "recursive": None,
            "recursive_actual": y[split.test_start :],
            "history": y,
            "split": split,
        }
        if cfg.contiguous and split.n_test:
            out["recursive"] = self._recursive(data, split.test_start, split.n_test)
        return out

    def predictions(self, target: str | None = None, series: str | None = None) -> pd.DataFrame:
        """Actual values of one target beside its one-step predictions at the first forecast
        step (train, validation and test) and the recursive forecast over the test part,
        indexed like the data (for plots); with many series, of ``series`` (default: the
        first one the model was trained on)."""
        self._check_fitted()
        group = panel.group_of(self, series) if series is not None else self.usable_[0]
        cfg, data, split = self.config_, self.data_.series(group), self.splits_[group]
        c = data.targets.index(target) if target is not None else 0
        n, lead = len(data.frame), cfg.steps[0]
        frame = pd.DataFrame({"actual": data.frame.iloc[:, self.targets_[c]]})
        frame["part"] = np.repeat(["train", "val", "test"], list(split))
        origins = origins_between(0, n, cfg.lookback, cfg.max_step, n)
        frame["one_step"] = np.nan
        col = frame.columns.get_loc("one_step")
        frame.iloc[origins + lead - 1, col] = self._one_step(data, origins)[:, 0, c]
        frame["recursive"] = np.nan
        if split.n_test and cfg.contiguous:
            rec = self._recursive(data, split.test_start, split.n_test)[:, c]
            frame.iloc[split.test_start :, frame.columns.get_loc("recursive")] = rec
        return frame

    # -- persistence -----------------------------------------------------------------------
    def save(
        self,
        path: str,
        overwrite: bool = False,
        plots: bool = True,
        forecast_steps: int | None = None,
    ) -> str:
        """Write the run directory atomically (JSON, CSV and safetensors; nothing pickled).

        Args:
            path: Directory to create; an existing non-empty one needs ``overwrite=True``.
            overwrite: Replace an existing run (the old one stays whole until the new is in place).
            plots: Also draw the PNG plots.
            forecast_steps: Also write ``forecast.csv`` with this many future steps.
        """
        from rnncast.persistence.runs import save_run

        self._check_fitted()
        return save_run(self, path, overwrite=overwrite, plots=plots, forecast_steps=forecast_steps)

    @classmethod
    def load(cls, path: str) -> Forecaster:
        """Rebuild a fitted forecaster from a run directory; executes no code from it."""
        from rnncast.persistence.runs import load_run

        return load_run(path)

    def summary(self) -> str:
        """Layers with output shapes and parameter counts, like Keras' ``model.summary()``."""
        from rnncast.nn.summary import summarize

        self._check_fitted()
        cfg = self.config_
        return summarize(self.net_, (1, cfg.lookback, len(self.inputs_)), self.device_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError(
                "This Forecaster is not fitted yet; call fit(data, target=...) first "
                "or load a run with Forecaster.load(dir)."
            )


def future_index(data: PreparedData, leads: list[int]) -> pd.Index:
    """Dates (or row numbers) of the given leads after the last row of one series."""
    index, offsets = data.frame.index, np.asarray(leads)
    if isinstance(index, pd.DatetimeIndex):
        dates = pd.date_range(index[-1], periods=offsets.max() + 1, freq=data.freq)
        return dates[offsets]
    return pd.Index(len(index) - 1 + offsets)


def _check_lengths(split: Split, cfg: FitConfig) -> None:
    need = cfg.lookback + cfg.max_step
    if split.n_train < need:
        raise DataError(
            f"The training part has {split.n_train} rows but one window needs --lookback "
            f"{cfg.lookback} + --horizon {cfg.max_step} = {need}; give more data, a shorter "
            "lookback or smaller --test-size/--val-size."
        )
    for part, rows in (("validation", split.n_val), ("test", split.n_test)):
        if 0 < rows < cfg.max_step:
            raise DataError(
                f"The {part} part has {rows} rows, fewer than --horizon {cfg.max_step}; "
                "make it larger."
            )


def _refill_before_boundaries(data: PreparedData, splits: list[Split]) -> None:
    """No interpolated value before the validation or test part may read a value after it."""
    frames, changed = [], 0
    for g, split in enumerate(splits):
        part = data.series(g)
        changed += refill_causally(part, (split.val_start, split.test_start))
        frames.append(part.frame)
    if data.ids:
        data.parts = tuple(frames)
    if changed:
        data.notes.append(
            f"Filled {changed} missing values just before the validation or test part again "
            "from the rows before it only, so no training value is interpolated from later data."
        )


def _check_scaled(f: Forecaster, data: PreparedData) -> None:
    """Scaled values must be finite in float32, and a constant training column is noted."""
    for g in f.usable_:
        with np.errstate(over="ignore"):  # the overflow is what this looks for
            finite = np.isfinite(f._scaled(data.series(g))).all()
        if not finite:
            raise DataError(
                "Values are too large for float32 after scaling (above about 3.4e38); use "
                "--scaler minmax or standard, or rescale the column."
            )
    if not data.ids:
        train = data.frame.to_numpy()[: f.split_.n_train]
        for c, name in enumerate(data.columns):
            if np.ptp(train[:, c]) == 0:
                data.notes.append(
                    f"Column {name!r} is constant over the training rows; it "
                    "carries no information (scaled with a scale of 1)."
                )


def _prepare_input(data, target, date, features, id, missing) -> PreparedData:
    """Long-format Parquet is read series by series in batches; anything else whole."""
    if id is not None and is_parquet(data):
        if date is None:  # detected by name, as for any table
            import pyarrow.parquet as pq

            from rnncast.data.prepare import DATE_NAMES

            check_file(Path(data))
            names = pq.read_schema(data).names
            date = next((n for n in names if n.strip().lower() in DATE_NAMES), None)
        targets = [target] if isinstance(target, str) else list(target)
        targets = [t.strip() for name in targets for t in name.split(",") if t.strip()]
        feats = [features] if isinstance(features, str) else list(features)
        feats = [t.strip() for name in feats for t in name.split(",") if t.strip()]
        series = parquet_series(data, id, [c for c in (date, *feats, *targets) if c])
        return prepare_series(series, targets, date, feats, missing, id)
    return prepare(read_table(data), target, date, features, missing, id=id)


def _check_calibration(split: Split, cfg: FitConfig) -> None:
    """Intervals need enough validation windows to calibrate on."""
    need = minimum_residuals(cfg.interval if cfg.interval is not None else 0.9)
    windows = split.n_val - cfg.max_step + 1
    if windows < need:
        raise ConfigError(
            f"An interval at level {cfg.interval} is calibrated on the validation part, which "
            f"gives {max(windows, 0)} windows here; it needs at least {need}. Give a larger "
            "--val-size or a lower --interval."
        )


def _add_bounds(frame: pd.DataFrame, targets: list[str], values: np.ndarray, half) -> None:
    """Insert lower and upper bounds after each target column."""
    for c, name in enumerate(targets):
        lower, upper = (
            ("lower", "upper") if len(targets) == 1 else (f"{name}_lower", f"{name}_upper")
        )
        at = frame.columns.get_loc(name) + 1
        frame.insert(at, lower, values[:, c] - half[:, c])
        frame.insert(at + 1, upper, values[:, c] + half[:, c])


def _resume_data(source: dict, data: Any, path: str) -> Any:
    """The data to resume on: the one given, or the file the fit read, unchanged."""
    if data is not None:
        return data
    file = source.get("path")
    if not isinstance(file, str):
        raise ConfigError(
            f"The fit checkpointed in {str(path)!r} was given a {source.get('kind', 'table')} "
            "in memory; pass the same data: Forecaster.resume(path, data=...)."
        )
    if not Path(file).is_file():
        raise DataError(f"The data file {file!r} of the checkpointed fit is gone; restore it.")
    if file_sha256(file) != source.get("sha256"):
        raise DataError(
            f"The data file {file!r} changed since the fit was checkpointed; resuming on other "
            "data would not continue the same training. Restore the file or start a new fit."
        )
    return file


def _describe_source(data: Any) -> dict[str, Any]:
    if isinstance(data, str) or hasattr(data, "__fspath__"):
        return {"path": str(data), "sha256": file_sha256(data)}
    return {"path": None, "sha256": None, "kind": type(data).__name__}
