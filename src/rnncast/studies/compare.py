"""Which model is really better: every listed model trained on identical splits and windows,
several seeds each, beside the naive, seasonal-naive, drift and exponential-smoothing
baselines and an ensemble of the recurrent models; ranked by mean with ties marked.

With ``folds`` every split is a rolling-origin fold (see :mod:`rnncast.data.folds`) and the spread
covers folds and seeds together.
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
from rnncast.data.folds import Fold, make_folds
from rnncast.data.io import read_table
from rnncast.data.prepare import prepare
from rnncast.data.sizes import parse_size
from rnncast.data.split import chronological_split
from rnncast.errors import ConfigError
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
    rank_by: tuple[str, str] = ("one_step", "rmse"),
    on_run: Callable[[str], None] | None = None,
    known: dict[str, Any] | None = None,
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
        rank_by: (mode, metric) whose mean ranks the table.
        on_run: Called with a short description before each training run.
        known: :meth:`Forecaster.fit`'s ``known``, ``calendar`` and ``holidays``: inputs known
            ahead, which take their recorded values over each test part (they would have
            been known in advance).
    """
    settings = dict(settings or {})
    settings.pop("model", None)
    base = FitConfig(**settings)
    configs = {m: FitConfig(**model_settings(settings, m)) for m in models}  # bad names fail here
    _check_rank(rank_by)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ConfigError(f"`repeats` must be a whole number >= 1, got {repeats!r}.")
    members = _ensemble_members(configs, ensemble)
    ahead = Known.of(**(known or {}))
    prepared = prepare(read_table(data), target, date, features or (), base.missing, known=ahead)
    frame = prepared.frame.set_axis(prepared.local(prepared.frame.index))  # the data's zone
    splits = _splits(frame.index, base, folds, step, window)
    if prepared.holes:  # each fold fills its own gaps, so none reads past its own cut-off
        frame = frame.mask(prepared.holes[0])
    runner = _Runner(settings, prepared, repeats, refit, on_run)
    for fold in splits:
        runner.run_fold(fold, frame.iloc[fold.start : fold.end], list(models), members)
    records = pd.DataFrame(runner.records)
    notes = []
    if prepared.known:
        notes.append(f"In both modes the {known_note(prepared.known)}.")
    if len(models) > 1 and len(members) < 2:
        notes.append("No ensemble row: it needs two or more recurrent members (--ensemble).")
    board = leaderboard(records, rank_by)
    source = Path(data).name if isinstance(data, str | Path) else f"a {type(data).__name__}"
    return Comparison(records, board, rank_by, notes, runner.fitted, runner.paths, source)


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
    """Fits and scores, fold by fold; keeps every sample as a record."""

    def __init__(self, settings, prepared, repeats, refit, on_run) -> None:
        self.settings, self.prepared = settings, prepared
        self.repeats, self.refit, self.on_run = repeats, refit, on_run
        self.records: list[dict] = []
        self.fitted: list[Forecaster] = []
        self._first: dict[tuple[str, int], Forecaster] = {}
        self.paths: list[dict] = []  # first seed's recursive forecast of each fold, for plots

    def run_fold(self, fold: Fold, part: pd.DataFrame, models: list[str], members) -> None:
        seed0 = self.settings.get("seed", 0)
        for r in range(self.repeats):
            outputs = {}
            for model in models:
                f, fc, seconds = self._fit_or_reuse(fold, part, model, seed0 + r)
                outputs[model] = fc
                if r == 0 and fc["recursive"] is not None:
                    index = part.index[fc["split"].test_start :]
                    self.paths.append(
                        {
                            "fold": fold.index,
                            "model": model,
                            "index": index,
                            "forecast": fc["recursive"][:, 0],
                        }
                    )
                params = sum(p.numel() for p in f.predictor_.net.parameters())
                self._record(fold, r, model, "model", f, fc, params, seconds)
            if len(members) >= 2:
                fc = _mean([outputs[m] for m in members])
                self._record(fold, r, "ensemble", "ensemble", f, fc, 0, 0.0)
        self._record_baselines(fold, f, fc)

    def _fit_or_reuse(self, fold, part, model, seed):
        key = (model, seed)
        if not self.refit and fold.index > 0:
            f = self._first[key]
            return f, f.test_forecasts(part), 0.0
        if self.on_run:
            self.on_run(f"fold {fold.index + 1}, {model}, seed {seed}")
        d = self.prepared
        test_rows = fold.end - fold.cut
        settings = {**model_settings(self.settings, model), "seed": seed, "test_size": test_rows}
        f = Forecaster(**settings).fit(  # calendar columns are in the frame already
            part, target=list(d.targets), date=d.date, features=list(d.features), known=d.known
        )
        self._first[key] = f
        self.fitted.append(f)
        return f, f.test_forecasts(), f.history_.seconds

    def _record(self, fold, seed, name, kind, f: Forecaster, fc, params, seconds) -> None:
        recursive = None if fc["recursive"] is None else {"x": fc["recursive"]}
        args = (fc["history"], fc["split"], f.season_, f.config_.steps, list(f.data_.targets))
        scored = mode_scores(*args, fc["origins"], {"x": fc["one_step"]}, recursive)
        for mode in ("one_step", "recursive"):
            if scored[mode] is None:
                continue
            self.records.append(
                {
                    "fold": fold.index,
                    "seed": seed,
                    "name": name,
                    "kind": kind,
                    "mode": mode,
                    **scored[mode]["x"],
                    "params": params,
                    "train_seconds": seconds,
                    "test_from": _label(self.prepared.local(self.prepared.frame.index), fold.cut),
                    "test_rows": fold.end - fold.cut,
                }
            )

    def _record_baselines(self, fold: Fold, f: Forecaster, fc: dict) -> None:
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
        one_step["ets"], recursive["ets"] = _ets(y, split, f.season_, origins, list(cfg.steps))
        for key, name in BASELINES.items():
            base_fc = {
                **fc,
                "one_step": one_step[key],
                "recursive": recursive[key] if cfg.contiguous else None,
            }
            self._record(fold, 0, name, "baseline", f, base_fc, 0, 0.0)


def _label(index: pd.Index, row: int) -> str:
    stamp = index[row]
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
