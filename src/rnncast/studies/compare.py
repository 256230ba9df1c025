"""Which model is really better: every listed model trained on identical splits and windows,
several seeds each, beside the naive, seasonal-naive, drift and exponential-smoothing
baselines and an ensemble of the recurrent models; ranked by mean with ties marked.

With ``folds`` every split is a rolling-origin fold (see :mod:`rnncast.data.folds`) and the spread
covers folds and seeds together.

With many series (``id``) every model is one global model per fold and seed; every entry is
scored series by series on the series that every model scored, and a sample's score is the
mean over those series (ranked by MASE unless told otherwise: RMSE and MAE keep each series'
own units). Each series' folds end with its own last observation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rnncast.config import AUTO, SIMPLE_MODELS, FitConfig
from rnncast.data.ahead import Known
from rnncast.data.folds import Fold, make_folds, series_folds
from rnncast.data.io import read_table
from rnncast.data.load import wide_as_long
from rnncast.data.prepare import prepare
from rnncast.data.sizes import parse_size
from rnncast.data.split import chronological_split
from rnncast.errors import ConfigError, DataError
from rnncast.evaluation import statistical
from rnncast.evaluation.baselines import drift, naive, seasonal_naive
from rnncast.evaluation.metrics import METRICS
from rnncast.evaluation.scoring import mode_scores
from rnncast.forecasting.assess import known_note
from rnncast.forecasting.forecaster import Forecaster
from rnncast.nn.spec import RECURRENT_KINDS

MODES = ("one_step", "recursive")
BASELINES = {  # key -> the row's name in the leaderboard
    "naive": "naive",
    "seasonal_naive": "seasonal naive",
    "drift": "drift",
    "ets": "exponential smoothing",
}


def split_models(texts: Sequence[str]) -> list[str]:
    """Model names from ``--models`` values: commas inside parentheses stay with their spec.

    >>> split_models(["dense,lstm(64, relu) > dense", "gru"])
    ['dense', 'lstm(64, relu) > dense', 'gru']
    """
    models: list[str] = []
    for text in texts:
        depth, current = 0, ""
        for char in text:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "," and depth == 0:
                models.append(current.strip())
                current = ""
            else:
                current += char
        models.append(current.strip())
    models = [m for m in models if m]
    if not models:
        raise ConfigError("--models is empty; list at least one model, e.g. lstm,gru.")
    if len(set(models)) != len(models):
        raise ConfigError(f"--models lists a model twice: {', '.join(models)}.")
    return models


def is_recurrent(cfg: FitConfig) -> bool:
    """Whether a model has a recurrent layer (the default ensemble members)."""
    return any(layer.kind in (*RECURRENT_KINDS, "seq2seq", "convlstm") for layer in cfg.layers())


@dataclass
class Comparison:
    """Every scored sample (``records``) and the aggregated ``leaderboard``."""

    records: pd.DataFrame
    leaderboard: pd.DataFrame
    rank_by: tuple[str, str]
    notes: list[str] = field(default_factory=list)
    fitted: list[Forecaster] = field(default_factory=list, repr=False)
    fold_paths: list[dict] = field(default_factory=list, repr=False)
    source: str = "a DataFrame"
    series: pd.DataFrame | None = None  # with many series: every record, series by series

    @property
    def best(self) -> str:
        return str(self.leaderboard.index[0])

    def fastest_in_tie(self) -> str | None:
        """The quickest trained model (or ensemble) tied with the best, if any."""
        tied = self.leaderboard[self.leaderboard["tied_with_best"]]
        trained = tied[tied["kind"] != "baseline"]
        if trained.empty:
            return None
        return str(trained["train_seconds"].idxmin())

    def verdict(self) -> list[str]:
        mode, metric = self.rank_by
        board, best = self.leaderboard, self.best
        tied = [n for n in board.index[1:] if board.loc[n, "tied_with_best"]]
        lines = [
            f"Ranked by mean {mode.replace('_', '-')} {metric.upper()}: best is {best}"
            + (f", tied (difference within spread) with {', '.join(tied)}." if tied else ".")
        ]
        if board.loc[best, "kind"] == "baseline":
            lines.append(f"No trained model beats the {best} baseline on this data.")
        fastest = self.fastest_in_tie()
        if fastest is not None:
            lines.append(
                f"Fastest model within the tie of the best: {fastest} "
                f"({board.loc[fastest, 'train_seconds']:.2f} s to train)."
            )
        return lines + self.notes


def compare_models(
    data: Any,
    target: str | Sequence[str] | None,
    models: Sequence[str],
    settings: dict[str, Any] | None = None,
    repeats: int = 1,
    ensemble: Sequence[str] | None = None,
    date: str | None = None,
    features: Sequence[str] = (),
    folds: int | None = None,
    step: int | None = None,
    window: str = "expanding",
    refit: bool = True,
    rank_by: tuple[str, str] | None = None,
    on_run: Callable[[str], None] | None = None,
    known: dict[str, Any] | None = None,
    id: str | None = None,
    ets: bool = True,
    wide: bool = False,
) -> Comparison:
    """Train every model ``repeats`` times on each split and score all against baselines.

    Args:
        data: CSV or Parquet path, DataFrame or Series.
        target: Target column(s); None: the one numeric column (see Forecaster.fit).
        models: Model names, presets or specs (see :mod:`rnncast.nn.spec`).
        settings: Every other :class:`~rnncast.FitConfig` setting, shared by all models.
        repeats: Seeds per model (``seed``, ``seed + 1``, ...).
        ensemble: Models averaged into the ensemble row; by default every recurrent one.
        date, features: As in :meth:`Forecaster.fit`.
        folds: Rolling-origin folds instead of one split; ``step`` rows apart (default: the
            test size), ``window`` expanding or sliding; ``refit=False`` trains on the first
            fold only and scores that model on every fold.
        rank_by: (mode, metric) whose mean ranks the table; by default one-step RMSE, with
            many series one-step MASE.
        on_run: Called with a short description before each training run.
        known: :meth:`Forecaster.fit`'s ``known``, ``calendar`` and ``holidays`` (with ``id``
            also ``static``): inputs known ahead, which take their recorded values over each
            test part (they would have been known in advance).
        id: Column naming the series of long-format data with many series: one global model
            per fold and seed, scored series by series. With ``folds``, ``test_size`` is each
            series' test rows per fold (a fraction: of the median series' length).
        wide: The data hold one column per series beside the date (:meth:`Forecaster.fit`'s
            ``wide``): read in long format, the series named in ``id``.
        ets: Score the exponential-smoothing baseline too (statsmodels, fitted per series
            and fold: about 0.3 s each on a 48-month series).
    """
    settings = dict(settings or {})
    settings.pop("model", None)
    base = FitConfig(**settings)
    configs = {m: FitConfig(**model_settings(settings, m)) for m in models}  # bad names fail here
    rank_by = rank_by or ("one_step", "mase" if id is not None else "rmse")
    _check_rank(rank_by)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ConfigError(f"`repeats` must be a whole number >= 1, got {repeats!r}.")
    if id is not None and not refit:
        raise ConfigError("--no-refit takes one series; with --id every fold is trained afresh.")
    members = _ensemble_members(configs, ensemble)
    known = dict(known or {})
    ahead = Known.of(**known)
    if wide:
        raw, target, date = wide_as_long(data, target, date, features, id, ahead)
    else:
        raw = read_table(data)
    prepared = prepare(raw, target, date, features or (), base.missing, id, ahead)
    notes = []
    if id is None:
        frame = prepared.frame.set_axis(prepared.local(prepared.frame.index))  # the data's zone
        splits = _splits(frame.index, base, folds, step, window)
        if prepared.holes:  # each fold fills its own gaps, so none reads past its own cut-off
            frame = frame.mask(prepared.holes[0])
        parts = [(f.index, frame.iloc[f.start : f.end], f.end - f.cut) for f in splits]
    else:
        parts, left_out = _series_parts(raw, prepared, base, folds, step, window, notes)
    runner = _Runner(settings, prepared, repeats, on_run, refit, known, ets)
    for k, part, test_size in parts:
        runner.run_fold(k, part, test_size, list(models), members)
    if not runner.records:
        raise DataError(
            "No series has a test part of one --horizon with a season before it, so nothing "
            "can be scored; give the series more rows, or a larger --test-size."
        )
    records, per_series = pd.DataFrame(runner.records), None
    if id is not None:
        per_series, records = records, over_series(records)
        notes += _series_notes(prepared, per_series, id, rank_by, left_out)
    if prepared.known:
        notes.append(f"In both modes the {known_note(prepared.known)}.")
    if len(models) > 1 and len(members) < 2:
        notes.append("No ensemble row: it needs two or more recurrent members (--ensemble).")
    board = leaderboard(records, rank_by)
    source = Path(data).name if isinstance(data, str | Path) else f"a {type(data).__name__}"
    fitted, paths = runner.fitted, runner.paths
    return Comparison(records, board, rank_by, notes, fitted, paths, source, per_series)


def model_settings(settings: dict[str, Any], model: str) -> dict[str, Any]:
    """Settings of one listed model: ``units``, ``dropout`` and ``activation`` shape the simple
    models (lstm, gru, rnn, dense); a preset or spec carries its own."""
    if model in (*SIMPLE_MODELS, AUTO):
        return {**settings, "model": model}
    shaped = ("units", "dropout", "activation")
    return {**{k: v for k, v in settings.items() if k not in shaped}, "model": model}


def _check_rank(rank_by: tuple[str, str]) -> None:
    mode, metric = rank_by
    if mode not in MODES or metric not in METRICS:
        raise ConfigError(f"Rank by one of {', '.join(MODES)} and one of {', '.join(METRICS)}.")


def _ensemble_members(configs: dict[str, FitConfig], ensemble) -> list[str]:
    if ensemble is None:
        return [m for m, cfg in configs.items() if is_recurrent(cfg)]
    members = split_models(ensemble) if isinstance(ensemble, str) else list(ensemble)
    unknown = [m for m in members if m not in configs]
    if unknown:
        raise ConfigError(f"--ensemble names {unknown[0]!r}, which is not among --models.")
    return members


def _series_parts(raw, prepared, base: FitConfig, folds, step, window, notes: list[str]):
    """(fold, raw rows of every series in it, the Forecaster's test size) of many series,
    and the series too short for the folds."""
    if folds is None:  # one split, each series' own, as a fit makes it
        return [(0, raw, base.test_size)], []
    test = parse_size(base.test_size, "test_size")
    if isinstance(test, str):
        raise ConfigError("With --folds, give --test-size as a fraction or a row count.")
    plan = series_folds(prepared, raw, folds, test, step, window)
    if isinstance(test, float):
        notes.append(
            f"Each fold tests {plan.test} rows of every series (--test-size {test:g} of the "
            "median series' length)."
        )
    if plan.left_out:
        are = "is" if len(plan.left_out) == 1 else "are"
        notes.append(
            f"{len(plan.left_out)} series too short for {folds} folds of {plan.test} test rows "
            f"{are} left out: {_few(plan.left_out)}."
        )
    return [(k, raw[rows], plan.test) for k, rows in enumerate(plan.rows)], plan.left_out


def _few(names: Sequence[str], shown: int = 5) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(map(str, names[:shown])) + more


def over_series(records: pd.DataFrame) -> pd.DataFrame:
    """One sample per fold, seed, entry and mode: each metric's mean over the series."""
    keys = ["fold", "seed", "name", "kind", "mode"]
    grouped = records.groupby(keys, sort=False)
    out = grouped[list(METRICS)].mean()
    out["params"] = grouped["params"].first()
    out["train_seconds"] = grouped["train_seconds"].first()
    out["test_from"] = grouped["test_from"].min()
    out["test_rows"] = grouped["test_rows"].sum()
    out["series"] = grouped["series"].nunique()
    return out.reset_index()


def _series_notes(prepared, per_series: pd.DataFrame, id: str, rank_by, left_out) -> list[str]:
    """What the scores of many series mean, and which series are in none (besides those
    ``left_out``, too short for the folds, named in their own note)."""
    scored = set(per_series["series"])
    lines = [
        f"Scores are means over the {len(scored)} series ({id!r}) that every model scored "
        "in a fold; samples.csv holds them, series.csv every series' own."
    ]
    if rank_by[1] in ("rmse", "mae"):
        lines.append(
            f"{rank_by[1].upper()} keeps each series' units, so large series weigh most; "
            "--rank-metric mase or smape weighs every series alike."
        )
    unscored = [k for k in prepared.ids if k not in scored and k not in left_out]
    if unscored:
        are = "series is" if len(unscored) == 1 else "series are"
        lines.append(
            f"{len(unscored)} {are} in no score (too short for the folds, a window or a test "
            f"horizon): {_few(unscored)}."
        )
    return lines


def _splits(index: pd.Index, base: FitConfig, folds, step, window) -> list[Fold]:
    n = len(index)
    if folds is None:
        split = chronological_split(index, base.test_size, base.val_size)
        return [Fold(0, 0, split.test_start, n)]
    test = parse_size(base.test_size, "test_size")
    if isinstance(test, str):
        raise ConfigError("With --folds, give --test-size as a fraction or a row count.")
    test_rows = int(round(test * n)) if isinstance(test, float) else test
    return make_folds(n, folds, test_rows, step, window)


class _Runner:
    """Fits and scores, fold by fold; keeps every sample (with many series, every series'
    sample) as a record."""

    def __init__(self, settings, prepared, repeats, on_run, refit, known, ets) -> None:
        self.settings, self.prepared, self.known = settings, prepared, known
        self.repeats, self.refit, self.on_run = repeats, refit, on_run
        self.baselines = {k: v for k, v in BASELINES.items() if ets or k != "ets"}
        self.records: list[dict] = []
        self.fitted: list[Forecaster] = []
        self._first: dict[tuple[str, int], Forecaster] = {}
        self.paths: list[dict] = []  # first seed's recursive forecast of each fold, for plots

    def run_fold(self, k: int, part, test_size, models: list[str], members) -> None:
        seed0 = self.settings.get("seed", 0)
        for r in range(self.repeats):
            outputs, fitted, seconds = {}, {}, {}
            for model in models:
                run = self._fit_or_reuse(k, part, test_size, model, seed0 + r)
                fitted[model], outputs[model], seconds[model] = run
            common = [s for s in outputs[models[0]] if all(s in outputs[m] for m in models)]
            for model in models:
                f = fitted[model]
                params = sum(p.numel() for p in f.predictor_.net.parameters())
                for series in common:
                    fc = outputs[model][series]
                    if r == 0 and series == common[0] and fc["recursive"] is not None:
                        forecast = fc["recursive"][:, 0]
                        path = {
                            "fold": k,
                            "model": model,
                            "index": fc["dates"],
                            "forecast": forecast,
                        }
                        self.paths.append({**path, "series": series})
                    self._record(k, r, model, "model", f, fc, params, seconds[model], series)
            if len(members) >= 2:
                for series in common:
                    fc = _mean([outputs[m][series] for m in members])
                    self._record(k, r, "ensemble", "ensemble", f, fc, 0, 0.0, series)
        for series in common:
            self._record_baselines(k, f, outputs[models[-1]][series], series)

    def _fit_or_reuse(self, k, part, test_size, model, seed):
        """The fitted model, its test forecasts by series (None: the one series) and its
        training seconds (none for a model of the first fold scored again: --no-refit)."""
        key = (model, seed)
        if not self.refit and k > 0:
            f = self._first[key]
            fc = f.test_forecasts(part)
            return f, {None: {**fc, "dates": part.index[fc["split"].test_start :]}}, 0.0
        if self.on_run:
            self.on_run(f"fold {k + 1}, {model}, seed {seed}")
        d = self.prepared
        settings = {**model_settings(self.settings, model), "seed": seed, "test_size": test_size}
        names = {"target": list(d.targets), "date": d.date, "features": list(d.features)}
        if d.ids:  # the raw rows: every fold reads, fills and scales its series afresh
            f = Forecaster(**settings).fit(part, **names, id=d.id_column, **self.known)
            self._keep(key, f)
            return f, f.series_test_forecasts(), f.history_.seconds
        f = Forecaster(**settings).fit(part, **names, known=d.known)  # calendar: in the frame
        self._keep(key, f)
        fc = f.test_forecasts()
        return f, {None: {**fc, "dates": part.index[fc["split"].test_start :]}}, f.history_.seconds

    def _keep(self, key, f: Forecaster) -> None:
        self._first.setdefault(key, f)
        self.fitted.append(f)

    def _record(self, k, seed, name, kind, f: Forecaster, fc, params, seconds, series) -> None:
        recursive = None if fc["recursive"] is None else {"x": fc["recursive"]}
        args = (fc["history"], fc["split"], f.season_, f.config_.steps, list(f.data_.targets))
        scored = mode_scores(*args, fc["origins"], {"x": fc["one_step"]}, recursive)
        where = {} if series is None else {"series": series}
        for mode in ("one_step", "recursive"):
            if scored[mode] is None:
                continue
            self.records.append(
                {
                    "fold": k,
                    "seed": seed,
                    **where,
                    "name": name,
                    "kind": kind,
                    "mode": mode,
                    **scored[mode]["x"],
                    "params": params,
                    "train_seconds": seconds,
                    "test_from": _label(fc["dates"]),
                    "test_rows": len(fc["dates"]),
                }
            )

    def _record_baselines(self, k: int, f: Forecaster, fc: dict, series) -> None:
        cfg, y, split = f.config_, fc["history"], fc["split"]
        origins, leads = fc["origins"], np.asarray(cfg.steps) - 1
        start = np.array([split.test_start])
        one_step = {
            "naive": naive(y, origins, cfg.max_step)[:, leads],
            "seasonal_naive": seasonal_naive(y, origins, cfg.max_step, f.season_)[:, leads],
            "drift": drift(y, origins, cfg.max_step)[:, leads],
        }
        recursive = {
            "naive": naive(y, start, split.n_test)[0],
            "seasonal_naive": seasonal_naive(y, start, split.n_test, f.season_)[0],
            "drift": drift(y, start, split.n_test)[0],
        }
        if "ets" in self.baselines:
            one_step["ets"], recursive["ets"] = _ets(y, split, f.season_, origins, list(cfg.steps))
        for key, name in self.baselines.items():
            base_fc = {
                **fc,
                "one_step": one_step[key],
                "recursive": recursive[key] if cfg.contiguous else None,
            }
            self._record(k, 0, name, "baseline", f, base_fc, 0, 0.0, series)


def _label(dates: pd.Index) -> str:
    """The first test date (or row) of a fold."""
    stamp = dates[0]
    return str(stamp.date()) if hasattr(stamp, "date") else str(stamp)


def _ets(y, split, season, origins, steps):
    pairs = [
        statistical.ets_forecasts(y[:, c], split.n_train, season, origins, steps, split.test_start)
        for c in range(y.shape[1])
    ]
    one_step = np.stack([p[0] for p in pairs], axis=-1)  # C x (N, S) -> (N, S, C)
    recursive = np.stack([p[1] for p in pairs], axis=-1)  # C x (n_test,) -> (n_test, C)
    return one_step, recursive


def _mean(outputs: list[dict]) -> dict:
    out = dict(outputs[0])
    out["one_step"] = np.mean([o["one_step"] for o in outputs], axis=0)
    if all(o["recursive"] is not None for o in outputs):
        out["recursive"] = np.mean([o["recursive"] for o in outputs], axis=0)
    return out


def leaderboard(records: pd.DataFrame, rank_by: tuple[str, str]) -> pd.DataFrame:
    """Mean and standard deviation over samples (seeds, folds) per entry and mode; ranked."""
    rows = {}
    for (name, kind), group in records.groupby(["name", "kind"], sort=False):
        one_step = group[group["mode"] == "one_step"]
        row: dict[str, Any] = {"kind": kind, "samples": len(one_step)}
        for mode in MODES:
            sub = group[group["mode"] == mode]
            for metric in METRICS:
                values = sub[metric].dropna().to_numpy(dtype=float)
                row[f"{mode}_{metric}_mean"] = float(values.mean()) if len(values) else np.nan
                row[f"{mode}_{metric}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        row["params"] = int(group["params"].iloc[0])
        row["train_seconds"] = float(one_step["train_seconds"].mean())
        rows[name] = row
    board = pd.DataFrame.from_dict(rows, orient="index")
    board.index.name = "name"
    mode, metric = rank_by
    mean, std = board[f"{mode}_{metric}_mean"], board[f"{mode}_{metric}_std"]
    board = board.assign(_key=mean.fillna(np.inf)).sort_values("_key", kind="stable")
    board = board.drop(columns="_key")
    best = board.index[0]
    mean, std = board[f"{mode}_{metric}_mean"], board[f"{mode}_{metric}_std"]
    board["tied_with_best"] = (mean - mean[best]).abs() < (std + std[best])
    board.loc[best, "tied_with_best"] = True
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    return board
