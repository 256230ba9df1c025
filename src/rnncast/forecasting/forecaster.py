"""The user-facing forecaster: scikit-learn style, one object from data to forecast.

The facade stores its settings, delegates every step (:mod:`~rnncast.forecasting.fitting`,
:mod:`~rnncast.forecasting.assess`, :mod:`~rnncast.forecasting.future`,
:mod:`~rnncast.forecasting.panel`, :mod:`~rnncast.persistence.runs`) and holds the learned
state, whose forecasting part is one :class:`~rnncast.forecasting.predictor.Predictor`.

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

import copy
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnncast.config import DEFAULTS, FitConfig, Size, setting_names
from rnncast.data.ahead import Known
from rnncast.data.prepared import PreparedData
from rnncast.data.split import Split
from rnncast.errors import ConfigError, NotFittedError
from rnncast.forecasting import assess, export, fitting, inputs, panel
from rnncast.forecasting import future as future_
from rnncast.forecasting import known as known_inputs
from rnncast.forecasting.predictor import NO_WINDOWS, window_array
from rnncast.nn.summary import summarize
from rnncast.persistence.checkpoint import check_place, read_checkpoint
from rnncast.persistence.files import atomic_directory
from rnncast.persistence.runs import RunContents, load_run, write_run
from rnncast.runtime import distributed as dist
from rnncast.training.loop import resolve_device

_D = DEFAULTS


class Forecaster:
    """Fit a recurrent network to a series, evaluate it honestly and forecast real future dates.

    Every argument is a setting of :class:`rnncast.FitConfig` (the CLI option of the same name
    with ``-`` for ``_``), plus ``verbose`` for a progress display. The constructor only stores
    them; ``fit`` validates them. Those left out (None) take the default model's recipe, or the
    plain values with another model, as :class:`rnncast.FitConfig` says.
    """

    def __init__(
        self,
        model: str | Sequence = _D.model,
        units: int | Sequence[int] | str | None = _D.units,
        dropout: float = _D.dropout,
        activation: str = _D.activation,
        lookback: int | None = _D.lookback,
        horizon: int | Sequence[int] | str = _D.horizon,
        strategy: str | None = _D.strategy,
        optimizer: str = _D.optimizer,
        lr: float | None = _D.lr,
        momentum: float = _D.momentum,
        loss: str | None = _D.loss,
        epochs: int | None = _D.epochs,
        batch_size: int | None = _D.batch_size,
        clip_norm: float = _D.clip_norm,
        patience: int | None = _D.patience,
        seed: int = _D.seed,
        device: str = _D.device,
        scaler: str | None = _D.scaler,
        missing: str = _D.missing,
        test_size: Size = _D.test_size,
        val_size: Size = _D.val_size,
        season: int | None = _D.season,
        target_history: bool = _D.target_history,
        interval: float | None = _D.interval,
        fallback: str | None = _D.fallback,
        embed: int = _D.embed,
        window_norm: str | None = _D.window_norm,
        log: bool | None = _D.log,
        log_offset: float | None = _D.log_offset,
        members: int | None = _D.members,
        quantile: float = _D.quantile,
        pad: bool | None = _D.pad,
        deseason: bool | None = _D.deseason,
        trend: int | None = _D.trend,
        lookbacks: Sequence[int] | str | None = _D.lookbacks,
        losses: Sequence[str] | str | None = _D.losses,
        quantiles: Sequence[float] | str | None = _D.quantiles,
        jobs: int | None = _D.jobs,
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
        self.window_norm, self.log, self.members = window_norm, log, members
        self.log_offset = log_offset
        self.quantile, self.pad, self.deseason = quantile, pad, deseason
        self.trend = trend
        self.lookbacks, self.losses, self.quantiles = lookbacks, losses, quantiles
        self.jobs = jobs

    @classmethod
    def from_config(cls, cfg: FitConfig, verbose: bool = False) -> Forecaster:
        """A forecaster with the settings of ``cfg``, as they are (no round trip)."""
        settings = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
        return cls(**settings, verbose=verbose)

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
        target: str | Sequence[str] | None = None,
        date: str | None = None,
        features: Sequence[str] | str = (),
        id: str | None = None,
        on_epoch=None,
        distributed: bool = False,
        checkpoint: str | None = None,
        known: Sequence[str] | str = (),
        calendar: Sequence[str] | str | bool | None = None,
        holidays: str | None = None,
        static: Sequence[str] | str = (),
        future: Any = None,
        forecast_steps: int | None = None,
        on_prepared=None,
        reference: Any = None,
        wide: bool = False,
    ) -> Forecaster:
        """Prepare ``data``, split it in time, scale on training rows, train and score on test.

        Args:
            data: CSV or Parquet path, DataFrame or Series.
            target: Column to forecast, or several (``"a,b,c"`` or a list) forecast at once;
                None: the data's one numeric column besides the date, id and inputs (a
                Series' values; a table with several is refused with their names).
            date: Date column (detected by name when omitted; none means a plain row index).
            features: Past covariates: extra input columns known up to the forecast origin.
            id: Column naming the series of long-format data with many series: one global
                model is trained on windows of every series, each with its own scaler.
            on_epoch: Optional callback ``(epoch, train_loss, val_loss)`` after every epoch.
            distributed: Train on every process torchrun started (see
                :mod:`rnncast.runtime.distributed`); only rank 0 scores the model.
            checkpoint: Directory for a resumable checkpoint: SIGINT (Ctrl-C) or SIGTERM then
                stops training at the next batch, writes it there and raises
                :class:`rnncast.persistence.checkpoint.TrainingInterrupted`; :meth:`resume`
                goes on.
            known: Columns whose future values are known ahead (a plan, a weather forecast):
                the network reads them for the dates it forecasts. Their future values come
                from rows after the last observed target (target empty) or ``future=`` of
                :meth:`forecast`.
            calendar: Calendar inputs made from the dates, known for any date: ``"auto"``
                (or True) for the frequency's (day of week and of year for daily data,
                month for monthly, ...), or parts such as ``"dow,month"``
                (see :mod:`rnncast.data.calendar`).
            holidays: A country or subdivision (``"US"``, ``"AU-VIC"``) whose public holidays
                make a known ``holiday`` input (from the ``holidays`` package).
            static: With many series (``id``), columns holding one value per series (a
                store's size, a product's category): numbers as they are, categories as one
                0/1 input each; known on every date, scaled across series.
            future: The known columns' values after the data (path or DataFrame: the date,
                the id with many series, each known column), kept for :meth:`forecast`.
            forecast_steps: The forecast this fit is for: checked before training (past
                covariates reach one horizon; the future values must cover it).
            on_prepared: Optional callback ``(forecaster)`` once the data are read, split and
                scaled, before training (``data_``, ``splits_`` and ``config_`` are set):
                to show the data's summary and notes while a stop still costs nothing.
            reference: With many series (``id``), more series that train the model but are
                neither forecast nor scored (path or DataFrame in the data's columns; no name
                in both): related series to learn from. Split in time like the data's, so
                their test rows never train it either.
            wide: The data (and ``reference``) hold one column per series beside the date:
                read as long format, the column names in a column named ``id`` and the
                values in one named ``target``; each series from its first value to its
                last (see :func:`rnncast.data.load.long_from_wide`). Takes no features or
                known columns but the calendar's and holidays.

        Returns:
            self, fitted.
        """
        names = {"target": target, "date": date, "features": features or (), "id": id}
        names["known"] = Known.of(known, calendar, holidays, static)
        names["reference"], names["wide"] = reference, bool(wide)
        ahead = (future, forecast_steps)
        return self._fit(data, names, on_epoch, distributed, checkpoint, None, ahead, on_prepared)

    @classmethod
    def resume(
        cls,
        path: str,
        data: Any = None,
        on_epoch=None,
        verbose: bool = False,
        reference: Any = None,
    ):
        """Continue an interrupted fit from its checkpoint directory.

        With a fixed seed on CPU the result has exactly the weights an uninterrupted fit
        would have had. ``data`` (and ``reference``) are needed only when the fit was given
        a DataFrame; a file is read again from its path and must still have the same
        contents (SHA-256).
        """
        ckpt = read_checkpoint(path)
        source = ckpt.fit["source"]
        data = inputs.resume_data(source, data, path)
        f = cls.from_config(ckpt.config, verbose=verbose)
        names = {k: ckpt.fit.get(k) for k in ("target", "date", "features", "id")}
        roles = ("known", "calendar", "holidays", "static")
        names["known"] = Known.of(*(ckpt.fit.get(k) for k in roles))
        names["wide"] = ckpt.fit.get("wide") is True
        if isinstance(source.get("reference"), dict):
            names["reference"] = inputs.resume_data(source["reference"], reference, path)
        return f._fit(data, names, on_epoch, False, str(path), resume=ckpt)

    def _fit(
        self,
        data,
        names,
        on_epoch,
        distributed,
        checkpoint,
        resume,
        ahead=(None, None),
        on_prepared=None,
    ) -> Forecaster:
        cfg = self.config()
        if checkpoint is not None and resume is None:
            check_place(checkpoint)  # before training: a stop must not cost a run or files
        prep = fitting.prepare_fit(cfg, data, names)
        cfg = prep.config  # with what the data settled
        future, steps = ahead
        if future is not None:
            known_inputs.attach_future(prep.data, future)
        if steps is not None:  # the forecast asked for must be possible, before training
            known_inputs.check_forecast(prep.data, prep.forecast, cfg, steps)
        source = inputs.describe_source(data)
        if names.get("reference") is not None:
            source["reference"] = inputs.describe_source(names["reference"], "reference")
        if on_prepared is not None:  # a copy: a failed refit must leave the last fit whole
            view = copy.copy(self)
            view._set_state(cfg, prep.data, prep.splits, prep.forecast, prep.season, source)
            on_prepared(view)
        device = resolve_device(cfg.device)
        ctx = dist.start(cfg.batch_size, device) if distributed else dist.SINGLE
        device = dist.device_for(ctx, device)
        with fitting.fit_context(cfg, checkpoint, self.verbose, on_epoch, ctx) as (stop, report):
            p, history = fitting.train_predictor(cfg, prep, device, report, ctx, stop, resume)
        fitting.check_interrupted(cfg, history, p.net, checkpoint, prep.data, source, stop)
        dist.finish(ctx)
        self._set_state(cfg, prep.data, prep.splits, prep.forecast, prep.season, source)
        self.predictor_, self.history_, self.rank_ = p, history, ctx.rank
        self.threads_ = torch.get_num_threads()  # the weights depend on it (docs/reliability)
        self.processes_ = ctx.world  # processes that trained it (torchrun)
        self.metrics_ = self._score(self.data_, self.splits_, self.usable_) if ctx.main else None
        return self

    def _set_state(self, cfg, data, splits, usable, season, source) -> None:  # learned state
        self.config_, self.data_, self.season_, self.source_ = cfg, data, season, source
        self.splits_, self.usable_, self.split_ = list(splits), list(usable), splits[0]

    def _score(self, data: PreparedData, splits: list[Split], usable: list[int]) -> dict:
        p, cfg, season, history = self.predictor_, self.config_, self.season_, self.history_
        if data.ids:
            return panel.score_panel(p, cfg, season, data, splits, usable, history)
        return assess.score_series(p, cfg, season, data, splits[0], history)

    # -- forecasting -----------------------------------------------------------------------
    def predict(
        self, windows: np.ndarray | pd.DataFrame, series: str | None = None
    ) -> np.ndarray | pd.DataFrame:
        """Forecast from windows in original units.

        Args:
            windows: Array (B, L, F_in) or (L, F_in) of input columns (features, then the
                targets), or a DataFrame holding those columns (and the date column, or
                dates as its index) whose last L rows are used.
            series: With many series, whose scaler to use (its name in the id column).

        Returns:
            From arrays, forecasts in original units, shape (B, S, C). From a DataFrame, a
            DataFrame of the forecast steps after its last row: the date column (``step``
            without dates) and one column per target.
        """
        self._check_fitted()
        p, data = self.predictor_, self.data_
        if p.known:
            raise ConfigError(NO_WINDOWS)
        names = [data.columns[i] for i in p.inputs]
        x = window_array(windows, p.lookback, names, p.blank, p.history)
        phase = None
        if p.scaler.seasonal and isinstance(windows, pd.DataFrame):  # its dates place it
            phase = future_.window_phase(windows, data, p.lookback)
        values = p.predict(x, panel.group_of(data, series), phase)
        if not isinstance(windows, pd.DataFrame):
            return values
        frame = pd.DataFrame(values[0], columns=list(data.targets))
        frame.insert(0, data.date or "step", future_.steps_after(windows, data, p.steps))
        return frame

    def forecast(
        self,
        steps: int | None = None,
        interval: float | None = None,
        data: Any = None,
        future: Any = None,
        wide: bool = False,
    ) -> pd.DataFrame:
        """Forecast beyond the last observation, in original units.

        Args:
            steps: How many steps (default: the horizon). Beyond one horizon the model is fed
                its own forecasts. With a set of horizon steps (``horizon=(1, 3, 7)``) the
                forecast holds exactly those steps and ``steps`` must be left out.
            interval: Level of a prediction interval (default: the fitted ``interval``); adds
                ``lower`` and ``upper`` columns (``<target>_lower`` ... with several targets),
                calibrated on the validation part. Steps too far ahead for the validation part
                to calibrate get no bounds (NaN).
            data: Newer observations (path, DataFrame; the fitted columns and frequency, at
                least ``lookback`` rows per series) to forecast from instead of the end of the
                fitted data, scaled with the fitted scalers; rows after the last observed
                target may hold the known columns' future values.
            future: The known columns' values on the forecast dates (path or DataFrame: the
                date, the id with many series, each known column); calendar and holiday
                inputs need none.
            wide: With many series, one column per series (named by its id) beside the date,
                as ``wide=True`` reads a table in :meth:`fit`; bounds and quantiles follow
                each series as ``{id}_lower`` ... (one target only).

        Returns:
            A DataFrame with the date column (real future dates; ``step`` without dates) and
            one column per target (and, with many series, the id and ``forecast_by``, or with
            ``wide`` one column per series).
        """
        self._check_fitted()
        p, cfg, fitted = self.predictor_, self.config_, self.data_
        now = known_inputs.new_observations(data, fitted, cfg) if data is not None else None
        if future is not None:
            base = now if now is not None else dataclasses.replace(fitted)
            now = known_inputs.attach_future(base, future)
        if wide:
            panel.check_wide(fitted)
        if fitted.ids:
            args = (self.season_, fitted, self.splits_, self.usable_, steps, interval, now)
            frame = panel.forecast_panel(p, cfg, *args)
            return panel.wide_forecast(frame, fitted) if wide else frame
        return future_.forecast_series(p, cfg, fitted, self.split_, steps, interval, now)

    def export_onnx(
        self, path: str, steps: int | None = None, overwrite: bool = False, exporter: str = "auto"
    ) -> str:
        """Write the model as one ONNX file: raw windows in, forecasts of ``steps`` steps
        (default: the horizon; beyond it by the recursive roll-out, inside the graph) in
        original units out, scaling and seasonality inside; see
        :mod:`rnncast.forecasting.export` for its inputs, metadata and the ``exporter``
        (``auto``, ``torchscript`` or ``dynamo``). Needs the ``export`` extra (``pip install
        'rnncast[export]'``). Returns the path."""
        self._check_fitted()
        return str(export.export_onnx(self, path, steps, overwrite, exporter))

    # -- evaluation ------------------------------------------------------------------------
    def evaluate(self, data: Any = None, since: Any = None) -> dict[str, Any]:
        """Test metrics in original units for the model and the baselines, in both modes.

        Args:
            data: Newer observations with the fitted columns and frequency, scaled with the
                fitted scalers; by default the fitted data's own test part.
            since: The first date of ``data`` to score (a row number without dates); by
                default the first date after the fitted training rows, so no scored row is
                one the model learned from. The rows before it are history only.

        Returns:
            The ``metrics.json`` dictionary (see docs/evaluation.md); with ``data``, its
            ``scored`` entry says which dates were scored.
        """
        self._check_fitted()
        if data is None:
            if since is not None:
                raise ConfigError("`since` applies to new data; pass data= as well.")
            return self.metrics_
        fresh = known_inputs.new_observations(data, self.data_, self.config_)
        cfg = dataclasses.replace(self.config_, interval=None)  # calibrated on the fit only
        p, season = self.predictor_, self.season_
        if self.data_.ids:
            return panel.evaluate_panel(p, cfg, season, self.data_, self.splits_, fresh, since)
        split = known_inputs.scored_part(fresh, self.data_, self.split_.n_train, since, cfg)
        metrics = assess.score_series(p, cfg, season, fresh, split, self.history_)
        metrics["scored"] = known_inputs.scored_dates(fresh, split)
        return metrics

    def _prepared(self, data: Any = None) -> tuple[PreparedData, Split]:
        if data is None and not self.data_.ids:
            return self.data_, self.split_
        return inputs.prepare_like(data, self.data_, self.config_)

    def test_forecasts(self, data: Any = None) -> dict[str, Any]:
        """The model's forecasts of the test part in original units, for comparisons (see
        :func:`rnncast.forecasting.assess.test_forecasts`); ``data`` is split as the fitted
        data was (the fitted data by default)."""
        self._check_fitted()
        return assess.test_forecasts(self.predictor_, *self._prepared(data))

    def series_test_forecasts(self) -> dict[str, dict[str, Any]]:
        """With many series: :meth:`test_forecasts` of every scored series, by name, batched
        across series (a scored series' test part holds a horizon and has a season of rows
        before it), each with its test ``dates``."""
        self._check_fitted()
        if not self.data_.ids:
            raise ConfigError("This model was fitted on one series; use test_forecasts().")
        p, cfg, season = self.predictor_, self.config_, self.season_
        groups = panel.scored_groups(cfg, season, self.splits_, self.usable_)
        return panel.test_forecasts(p, self.data_, self.splits_, groups)

    def predictions(self, target: str | None = None, series: str | None = None) -> pd.DataFrame:
        """Actual values of one target beside its one-step predictions at the first forecast
        step (train, validation and test) and the recursive forecast over the test part,
        indexed like the data (for plots); with many series, of ``series`` (default: the
        first one the model was trained on)."""
        self._check_fitted()
        g = panel.group_of(self.data_, series) if series is not None else self.usable_[0]
        c = self.data_.targets.index(target) if target is not None else 0
        return assess.predictions(self.predictor_, self.data_.series(g), self.splits_[g], c)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str, overwrite: bool = False, forecast_steps: int | None = None) -> str:
        """Write the run directory atomically (JSON, CSV and safetensors; nothing pickled).
        :func:`rnncast.jobs.save_run` writes the same run with its plots and report.

        Args:
            path: Directory to create; an existing non-empty one needs ``overwrite=True``.
            overwrite: Replace an existing run (the old one stays whole until the new is in place).
            forecast_steps: Also write ``forecast.csv`` with this many future steps.
        """
        forecast = self.forecast(forecast_steps) if forecast_steps else None
        with atomic_directory(path, overwrite) as tmp:
            write_run(self.contents(), tmp, forecast)
        return str(path)

    def contents(self) -> RunContents:
        """The fitted state as the plain values a run directory holds."""
        self._check_fitted()
        p, weights = self.predictor_, self.predictor_.net.state_dict()
        state = (self.config_, self.data_, p.scaler, self.splits_, self.usable_, self.season_)
        learned = (self.history_, self.metrics_, weights, self.threads_, self.processes_)
        return RunContents(*state, self.source_, *learned)

    @classmethod
    def load(cls, path: str) -> Forecaster:
        """Rebuild a fitted forecaster from a run directory; executes no code from it."""
        run = load_run(path)
        f = cls.from_config(run.config)
        f._set_state(run.config, run.data, run.splits, run.usable, run.season, run.source)
        f.history_, f.metrics_, f.rank_, f.threads_ = run.history, run.metrics, 0, run.threads
        f.processes_ = run.processes
        f.predictor_ = fitting.loaded_predictor(run, repr(str(Path(path) / "weights.safetensors")))
        return f

    def summary(self) -> str:
        """Layers with output shapes and parameter counts, like Keras' ``model.summary()``."""
        self._check_fitted()
        p = self.predictor_
        return summarize(p.net, (1, p.lookback, len(p.inputs)), p.device)

    def _check_fitted(self) -> None:
        if not hasattr(self, "predictor_"):
            raise NotFittedError(
                "This Forecaster is not fitted yet; call fit(data, target=...) first "
                "or load a run with Forecaster.load(dir)."
            )
