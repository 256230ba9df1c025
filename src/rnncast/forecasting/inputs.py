"""What a fit checks and fixes in its data before training: every series' split and
length, interpolation that must not read across a boundary, values that float32 cannot hold,
and where the data came from (so a resume can find it again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rnncast.config import FitConfig
from rnncast.data.io import file_sha256
from rnncast.data.load import load
from rnncast.data.prepare import refill_causally
from rnncast.data.prepared import PreparedData
from rnncast.data.scaling import Scaler
from rnncast.data.split import Split, chronological_split
from rnncast.errors import ConfigError, DataError, RnncastError
from rnncast.forecasting.intervals import check_calibration
from rnncast.forecasting.known import known_spec
from rnncast.forecasting.predictor import scale


def check_lengths(split: Split, cfg: FitConfig, need: int | None = None) -> None:
    """The training part must hold one window (with ``pad``, one row before a horizon), or
    ``need`` rows; validation and test parts one horizon."""
    need = cfg.history + cfg.max_step if need is None else need
    if split.n_train < need and cfg.pad:
        raise DataError(
            f"The training part has {split.n_train} rows; a padded window needs one row before "
            f"--horizon {cfg.max_step}; give more data or smaller --test-size/--val-size."
        )
    if split.n_train < need:
        raise DataError(
            f"The training part has {split.n_train} rows but one window needs --lookback "
            f"{cfg.lookback} + --horizon {cfg.max_step} = {need}; give more data, a shorter "
            "lookback, --pad or smaller --test-size/--val-size."
        )
    for part, rows in (("validation", split.n_val), ("test", split.n_test)):
        if 0 < rows < cfg.max_step:
            raise DataError(
                f"The {part} part has {rows} rows, fewer than --horizon {cfg.max_step}; "
                "make it larger."
            )


def split_series(data: PreparedData, cfg: FitConfig) -> tuple[list[Split], list[int]]:
    """Each series' split and the series the model forecasts.

    One series keeps every check an error; with many, a series that is too short is skipped
    (listed in the run summary), an error only when none is left. With ``pad`` a series of
    many needs only one training row: one too short for a training window of its own is
    forecast by the model that the others trained.
    """

    def checked(part: PreparedData) -> Split:
        split = chronological_split(part.local(part.frame.index), cfg.test_size, cfg.val_size)
        check_lengths(split, cfg, 1 if cfg.pad and data.ids else None)
        if cfg.interval is not None and not data.ids:
            check_calibration(split, cfg)
        return split

    if not data.ids:
        return [checked(data)], [0]
    splits, usable = [], []
    for g in range(data.n_series):
        part = data.series(g)
        try:
            splits.append(checked(part))
            usable.append(g)
        except RnncastError:
            splits.append(Split(len(part.frame), 0, 0))
    if cfg.pad and not any(splits[g].n_train > cfg.max_step for g in usable):
        usable = []  # not one training window
    if not usable:
        longest = max(len(data.series(g).frame) for g in range(data.n_series))
        need = "1" if cfg.pad else f"--lookback {cfg.lookback}"
        raise DataError(
            f"No series is long enough: each needs {need} + --horizon {cfg.max_step} training "
            f"rows after the split; the longest has {longest} rows in all. Give "
            f"{'' if cfg.pad else 'a shorter lookback, --pad '}or smaller --test-size/--val-size."
        )
    return splits, usable


def refill_before_boundaries(data: PreparedData, splits: list[Split]) -> None:
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


def check_scaled(scaler: Scaler, data: PreparedData, usable: list[int], n_train: int) -> None:
    """Scaled values must be finite in float32, and a constant training column is noted."""
    for g in usable:
        part = data.series(g)
        with np.errstate(over="ignore"):  # the overflow is what this looks for
            finite = np.isfinite(scale(scaler, part)).all()
        if not finite:
            raise DataError(
                "Values are too large for float32 after scaling (above about 3.4e38); use "
                "--scaler minmax or standard, or rescale the column."
            )
    if not data.ids:
        train = data.frame.to_numpy()[:n_train]
        for c, name in enumerate(data.columns):
            if np.ptp(train[:, c]) == 0:
                data.notes.append(
                    f"Column {name!r} is constant over the training rows; it "
                    "carries no information (scaled with a scale of 1)."
                )


def check_positive(
    scaler: Scaler,
    data: PreparedData,
    usable: list[int],
    splits,
    by: str = "--log",
    zero: bool = False,
) -> None:
    """``--log`` (or ``es()``, ``by``) takes logs of the targets as the network sees them:
    every training value of every used series must be above 0 once scaled (0 or above with
    ``zero``: ``--log-offset`` gives zeros logs)."""
    targets = [data.columns.index(t) for t in data.targets]
    for g in usable:
        part = data.series(g)
        rows = scale(scaler, part)[: splits[g].n_train, targets]
        if (rows < 0).any() if zero else (rows <= 0).any():
            where = f" of series {part.name!r}" if part.name is not None else ""
            why = " (--scaler minmax maps the minimum to 0)" if scaler.kind == "minmax" else ""
            if by != "--log":
                way_out = "choose a model without es"
            elif zero:
                way_out = "leave out --log"
            else:
                way_out = "leave out --log (or give --log-offset 0.1 where the lowest is 0)"
            needs = "values of 0 or above" if zero else "positive values"
            raise ConfigError(
                f"{by} needs {needs}, but a training value{where} is {rows.min():.4g} "
                f"as the network sees it{why}. Use --scaler none or mase with such data, or "
                f"{way_out}."
            )


def check_smoothing_season(cfg: FitConfig, season: int) -> None:
    """``es()`` starts its seasonal factors from a window's first season and smooths them
    over the next (within the first, every value divided by its factor is that season's mean,
    whatever the coefficients): every member's window must hold two seasons."""
    m = cfg.layers()[0].args["season"] or season
    shortest = min(cfg.lookbacks or (cfg.lookback,))
    if 2 * m > shortest:
        raise ConfigError(
            f"es() starts from a window's first season of {m} rows and learns from the next, "
            f"but a window holds {shortest}; give --lookback {2 * m} or more (or "
            f"es(season=N) with a shorter season)."
        )


def check_many_series_options(cfg: FitConfig, data: PreparedData) -> None:
    """Options that need inputs beside the target, or many series."""
    if not cfg.target_history and not data.features and not data.known:
        raise ConfigError(
            "--no-target-history needs --features or inputs known ahead: the network needs inputs."
        )
    for name, value in (("--fallback", cfg.fallback), ("--embed", cfg.embed)):
        if value and not data.ids:
            raise ConfigError(
                f"{name} applies to many series in long format; it needs --id naming the "
                "series column (leave it out for one series)."
            )


def prepare_like(data: Any, fitted: PreparedData, cfg: FitConfig) -> tuple[PreparedData, Split]:
    """New data of one series prepared and split as the ``fitted`` data was."""
    if fitted.ids:
        raise ConfigError("This needs one series; it does not take data with --id yet.")
    known = known_spec(fitted)
    fresh = load(data, fitted.targets, fitted.date, fitted.features, cfg.missing, known=known)
    split = chronological_split(fresh.local(fresh.frame.index), cfg.test_size, cfg.val_size)
    refill_before_boundaries(fresh, [split])
    return fresh, split


def describe_source(data: Any, role: str = "data") -> dict[str, Any]:
    """Where the data (or, ``role="reference"``, the reference table) came from: a file's
    path and SHA-256, or the kind of object."""
    kept = {} if role == "data" else {"role": role}
    if isinstance(data, str) or hasattr(data, "__fspath__"):  # absolute: resume from anywhere
        return {"path": str(Path(data).resolve()), "sha256": file_sha256(data), **kept}
    return {"path": None, "sha256": None, "kind": type(data).__name__, **kept}


def resume_data(source: dict, data: Any, path: str) -> Any:
    """The data to resume on: the one given, or the file the fit read, unchanged. ``source``
    is :func:`describe_source`'s, of the data or of its reference table (``"role"``)."""
    if data is not None:
        return data
    file, role = source.get("path"), source.get("role", "data")
    what = "data" if role == "data" else "reference table"
    if not isinstance(file, str):
        raise ConfigError(
            f"The fit checkpointed in {str(path)!r} was given a {source.get('kind', 'table')} "
            f"in memory; pass the same {what}: Forecaster.resume(path, {role}=...)."
        )
    if not Path(file).is_file():
        raise DataError(f"The {what} file {file!r} of the checkpointed fit is gone; restore it.")
    if file_sha256(file) != source.get("sha256"):
        raise DataError(
            f"The {what} file {file!r} changed since the fit was checkpointed; resuming on "
            "other data would not continue the same training. Restore the file or start a "
            "new fit."
        )
    return file
