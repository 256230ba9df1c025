"""Run directories: written atomically, read back as JSON, CSV and safetensors only.

A run directory holds ``config.json`` (every setting, the data's hash, package versions),
``weights.safetensors``, ``scaler.json``, ``series.csv`` (the cleaned data the model saw),
``history.csv``, ``metrics.json`` and the plots. Nothing is pickled and loading executes no
code from the directory.
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnncast.config import FitConfig
from rnncast.data.calendar import PARTS, calendar_columns
from rnncast.data.io import EXACT_FLOATS
from rnncast.data.prepared import PreparedData
from rnncast.data.scaling import Scaler
from rnncast.data.split import Split
from rnncast.data.static import static_names
from rnncast.errors import ConfigError, RunError
from rnncast.persistence.files import (
    check_not_temporary,
    check_plain_file,
    read_json,
    read_tensors,
    save_tensors,
    write_json,
)
from rnncast.training.loop import History
from rnncast.version import __version__

FORMAT = "rnncast-run"
FORMAT_VERSION = 1
REQUIRED = ("config.json", "weights.safetensors", "scaler.json", "series.csv")
OPTIONAL = ("history.csv", "metrics.json", "series_metrics.csv")
REPRODUCIBLE = (
    "The same seed, data and settings give these weights byte for byte on a CPU with the "
    "same number of PyTorch threads; with another number, batches are cut into other shards "
    "and dropout is drawn per shard, so the weights differ (within seed noise)."
)


@dataclass
class RunContents:
    """Everything a run directory holds, as plain values.

    ``weights`` are the network's tensors by name; loading returns them unchecked against
    any network (:func:`rnncast.persistence.files.check_weights` does that once the network
    is built from ``config``).
    """

    config: FitConfig
    data: PreparedData
    scaler: Scaler
    splits: list[Split]
    usable: list[int]
    season: int
    source: dict[str, Any]
    history: History
    metrics: dict[str, Any] | None
    weights: dict[str, torch.Tensor]
    threads: int | None = None  # PyTorch threads in training: the weights depend on it
    processes: int = 1  # processes of a distributed training (torchrun), each with a share


def default_run_dir(model: str, root: str = "runs") -> str:
    """``runs/<timestamp>-<model>``, unique within the second, with the model as a slug that
    is safe to paste into a shell (``gru > dense`` -> ``gru-dense``).

    >>> default_run_dir("lstm(64, relu) > dropout(0.2) > dense").split("-", 2)[2]
    'lstm-64-relu-dropout-0.2-dense'
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model).strip("-.")[:60].strip("-.") or "model"
    return str(Path(root) / f"{stamp}-{slug}")


def write_run(run: RunContents, out: Path, forecast: pd.DataFrame | None = None) -> None:
    """Write the run's files into the directory ``out`` (the caller makes it atomic), and
    ``forecast.csv`` when given a ``forecast``."""
    state = {k: v.detach().cpu().contiguous() for k, v in run.weights.items()}
    save_tensors(state, out / "weights.safetensors")
    write_json(out / "config.json", _config_dict(run))
    write_json(out / "scaler.json", run.scaler.to_dict())
    metrics, per_series = split_metrics(run.metrics)
    write_json(out / "metrics.json", metrics)
    if per_series is not None:
        per_series.to_csv(out / "series_metrics.csv", index=False)
    _write_series(run.data, out / "series.csv")
    _history_frame(run.history).to_csv(out / "history.csv", index=False)
    if forecast is not None:
        (out / "forecast.csv").write_text(forecast_csv(forecast))


def forecast_csv(frame: pd.DataFrame) -> str:
    """A forecast as CSV: dates with a time zone in ISO 8601 with their offset
    (2024-07-11T00:00:00+02:00), others as pandas writes them."""
    frame = frame.copy()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            frame[name] = frame[name].map(pd.Timestamp.isoformat)
    return frame.to_csv(index=False)


def split_metrics(metrics: dict[str, Any] | None):
    """``metrics.json``'s dictionary and the per-series table that a run of many series keeps
    beside it in ``series_metrics.csv``, read only on demand (:func:`read_series_metrics`)."""
    if metrics is None or "series" not in metrics:
        return metrics, None
    return {k: v for k, v in metrics.items() if k != "series"}, metrics["series"]


def read_series_metrics(path: str | os.PathLike) -> pd.DataFrame | None:
    """The per-series scores of a run of many series (``series_metrics.csv``), checked to be a
    table of numbers beside the series names; None for a run of one series."""
    root = Path(path)
    check_plain_file(root, "series_metrics.csv", required=False)
    file = root / "series_metrics.csv"
    if not file.is_file():
        return None
    try:
        table = pd.read_csv(file, dtype={0: str}, **EXACT_FLOATS)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise RunError(f"series_metrics.csv in {str(root)!r} cannot be read: {exc}") from None
    numbers = table.iloc[:, 1:]
    if table.empty or not all(pd.api.types.is_numeric_dtype(t) for t in numbers.dtypes):
        raise RunError(f"series_metrics.csv in {str(root)!r} is not what rnncast writes.")
    return table


def _config_dict(run: RunContents) -> dict[str, Any]:
    d = run.data
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": run.config.to_dict(),
        "data": {
            **run.source,
            "target": list(d.targets),
            "features": list(d.features),
            "known": list(d.user_known),
            "static": d.static,
            "calendar": list(d.calendar),
            "holidays": d.holidays,
            "date": d.date,
            "freq": d.freq,
            "zone": d.zone,
            "rows": d.n_rows,
            "missing_filled": d.missing_filled,
            "rows_dropped": d.rows_dropped,
            "notes": d.notes,
            "id_column": d.id_column,
            "ids": list(d.ids),
            "bounds": list(d.bounds),
            "reference_series": list(d.reference),
            "wide": d.wide,
        },
        "derived": {
            "season": run.season,
            "split": list(run.splits[0]),
            "splits": [list(s) for s in run.splits],
            "usable": list(run.usable),
        },
        "reproducibility": {
            "threads": run.threads,
            "processes": run.processes,
            "note": REPRODUCIBLE,
        },
        "versions": {
            "rnncast": __version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
    }


def _write_series(d: PreparedData, path: Path) -> None:
    """The cleaned data as CSV; many series in long format, written series by series."""
    if not d.ids:
        frame = d.frame.copy()
        frame.index.name = d.date or "row"
        frame.to_csv(path)
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for g, part in enumerate(d.parts):
            frame = part.copy()
            frame.index.name = d.date or "row"
            frame.insert(0, d.id_column, d.ids[g])  # the series' name beside every row
            frame.to_csv(fh, header=g == 0)


def _history_frame(h: History) -> pd.DataFrame:
    epochs = np.arange(1, len(h.train_loss) + 1)
    val = h.val_loss if h.val_loss else [None] * len(epochs)
    return pd.DataFrame({"epoch": epochs, "train_loss": h.train_loss, "val_loss": val})


# -- loading ---------------------------------------------------------------------------------
def load_run(path: str | os.PathLike) -> RunContents:
    """Read and check a run directory; every problem is a :class:`RunError`."""
    root = Path(path)
    if not root.is_dir():
        raise RunError(f"No run directory at {str(root)!r}; give the --out of a finished fit.")
    check_not_temporary(root)
    for name in (*REQUIRED, *OPTIONAL):
        check_plain_file(root, name, required=name in REQUIRED)
    config = read_json(root / "config.json")
    _check_config(config, root)
    try:
        cfg = FitConfig.from_saved(config["settings"])
    except (ConfigError, TypeError, KeyError) as exc:
        raise RunError(f"config.json in {str(root)!r} has bad settings: {exc}") from None
    derived = config["derived"]
    data = _read_series(root / "series.csv", config["data"])
    splits = [Split(*s) for s in derived.get("splits", [derived["split"]])]
    _check_splits(splits, data, root)
    scaler = Scaler.from_dict(read_json(root / "scaler.json"))
    _check_scaler(scaler, data, root)
    if scaler.seasonal != cfg.deseason:
        raise RunError(
            f"scaler.json in {str(root)!r} {'has' if scaler.seasonal else 'lacks'} seasonal "
            "indices that config.json's deseason setting says otherwise; the run was edited."
        )
    metrics_path = root / "metrics.json"
    metrics = read_json(metrics_path) if metrics_path.is_file() else None
    if metrics is not None and not isinstance(metrics, dict):
        raise RunError(f"metrics.json in {str(root)!r} is not what rnncast writes; it is damaged.")
    return RunContents(
        config=cfg,
        data=data,
        scaler=scaler,
        splits=splits,
        usable=derived.get("usable", [0]),
        season=derived["season"],
        source=_source(config),
        history=_read_history(root / "history.csv"),
        metrics=metrics,
        weights=read_tensors(root / "weights.safetensors"),
        threads=_count(config, "threads"),
        processes=_count(config, "processes") or 1,  # runs written before it: one
    )


def _count(config: dict, name: str) -> int | None:
    """A whole number of the reproducibility section (threads, processes), if well formed."""
    section = config.get("reproducibility")
    value = section.get(name) if isinstance(section, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _check_splits(splits: list[Split], data: PreparedData, root: Path) -> None:
    """One split per series, covering exactly its rows."""
    lengths = [len(data.series(g).frame) for g in range(data.n_series)]
    if len(splits) != len(lengths) or any(
        sum(s) != n for s, n in zip(splits, lengths, strict=True)
    ):
        raise RunError(
            f"The splits in config.json of {str(root)!r} do not cover the rows of series.csv; "
            "the run is damaged or was edited."
        )


def _check_scaler(scaler: Scaler, data: PreparedData, root: Path) -> None:
    """One row of finite statistics per series, one column per column of the data."""
    shape = (data.n_series, len(data.columns))
    finite = np.isfinite(scaler.shift_).all() and np.isfinite(scaler.scale_).all()
    if scaler.shift_.shape != shape or not finite:
        raise RunError(
            f"scaler.json in {str(root)!r} does not hold finite statistics for {shape[0]} "
            f"series of {shape[1]} columns; the run is damaged or was edited."
        )


def _check_config(config: Any, root: Path) -> None:
    """The shape of config.json, checked before any of it is used."""
    where = f"config.json in {str(root)!r}"
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise RunError(
            f"{str(root)!r} is not an rnncast run (no '{FORMAT}' format in config.json)."
        )
    version = config.get("format_version")
    if not isinstance(version, int):
        raise RunError(f"{where} has no whole-number format_version.")
    if version > FORMAT_VERSION:
        writer = config.get("versions", {}).get("rnncast", "a newer rnncast")
        raise RunError(
            f"{str(root)!r} was written by rnncast {writer} in run format {version}; "
            f"this rnncast ({__version__}) reads format {FORMAT_VERSION}. Upgrade "
            "rnncast to load it."
        )
    if version < FORMAT_VERSION:
        raise RunError(f"{where} has run format {version}, which this rnncast no longer reads.")
    for section in ("settings", "data", "derived"):
        if not isinstance(config.get(section), dict):
            raise RunError(f"{where} has no {section!r} object; the run is damaged.")
    data, derived = config["data"], config["derived"]
    checks = [
        (data.get("target"), _strings, "data.target"),
        (data.get("features"), _strings, "data.features"),
        (data.get("ids", []), _strings, "data.ids"),
        (
            data.get("reference_series", []),
            lambda v: _strings(v) and set(v) <= set(data.get("ids", [])),
            "data.reference_series",
        ),
        (data.get("bounds", []), _ints, "data.bounds"),
        (data.get("wide", False), lambda v: isinstance(v, bool), "data.wide"),
        (derived.get("usable", [0]), _ints, "derived.usable"),
        (
            derived.get("season"),
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
            "derived.season",
        ),
        (
            derived.get("splits", [derived.get("split")]),
            lambda v: (
                isinstance(v, list)
                and all(isinstance(s, list) and len(s) == 3 and _ints(s) for s in v)
            ),
            "derived.splits",
        ),
    ]
    for value, ok, name in checks:
        if not ok(value):
            raise RunError(
                f"{where}: {name} is {value!r}, not what rnncast writes; the run is "
                "damaged or was edited."
            )
    for key in ("date", "freq", "id_column", "zone"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise RunError(f"{where}: data.{key} must be text or null, got {data[key]!r}.")
    if data.get("zone") is not None and not _is_zone(data["zone"]):
        raise RunError(f"{where}: data.zone {data['zone']!r} is not a time zone.")


def _is_zone(name: str) -> bool:
    """A time zone name or UTC offset that pandas knows (looked up, never executed)."""
    if len(name) > 64:
        return False
    try:
        pd.Timestamp(0, tz="UTC").tz_convert(name)
    except (ValueError, TypeError, KeyError, OSError, IndexError):
        return False
    return True


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _ints(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    )


def _source(config: dict) -> dict:
    data = config["data"]
    return {k: data.get(k) for k in ("path", "sha256", "kind", "reference") if k in data}


def _read_series(path: Path, meta: dict) -> PreparedData:
    frame = pd.read_csv(path, index_col=0, **EXACT_FLOATS)
    id_column = meta.get("id_column")
    if id_column:
        names = frame.pop(id_column).astype(str).to_numpy()
        ids, bounds = tuple(meta["ids"]), tuple(meta["bounds"])
        if len(names) != bounds[-1] or any(
            names[bounds[g]] != ids[g] for g in range(len(ids)) if bounds[g] < bounds[g + 1]
        ):
            raise RunError(f"{str(path)!r} does not match the series in config.json.")
    if meta.get("date"):
        try:
            frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index), name=meta["date"])
        except (ValueError, TypeError):
            raise RunError(f"{str(path)!r} has a date that is not a date; it is damaged.") from None
    else:
        frame.index = pd.RangeIndex(len(frame))
    calendar, holidays, user, static = _known_roles(meta, path)
    made = calendar_columns(calendar, holidays)
    known = [*user, *static_names(static or {}), *made]  # none in runs before known inputs
    expected = [*meta["features"], *known, *meta["target"]]
    if list(frame.columns) != expected:
        raise RunError(f"{str(path)!r} does not hold the columns {expected}; the run is damaged.")
    try:
        frame = frame.astype("float64")
    except (ValueError, TypeError):
        raise RunError(
            f"{str(path)!r} holds a value that is not a number; it is damaged."
        ) from None
    _check_rows(frame, path, meta, bounds if id_column else (0, len(frame)))
    parts = ()
    if id_column:  # one frame per series, as a fit holds them
        parts = tuple(frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
        frame = None
    return PreparedData(
        frame,
        tuple(meta["target"]),
        tuple(meta["features"]),
        meta.get("date"),
        meta.get("freq"),
        meta.get("missing_filled", 0),
        meta.get("rows_dropped", 0),
        list(meta.get("notes", [])),
        id_column=id_column,
        ids=tuple(meta.get("ids", ())) if id_column else (),
        bounds=tuple(meta.get("bounds", ())) if id_column else (),
        parts=parts,
        known=tuple(known),
        calendar=calendar,
        holidays=holidays,
        static=static,
        zone=meta.get("zone"),
        reference=tuple(meta.get("reference_series", ())) if id_column else (),
        wide=meta.get("wide", False) and bool(id_column),
    )


def _known_roles(meta: dict, path: Path):
    """The calendar parts, holiday region and the user's known columns config.json names,
    checked (runs written before known inputs name none)."""
    calendar, holidays = meta.get("calendar") or [], meta.get("holidays")
    user, static = meta.get("known") or [], meta.get("static") or None
    fine = (
        isinstance(calendar, list)
        and all(part in PARTS for part in calendar)
        and (holidays is None or isinstance(holidays, str))
        and isinstance(user, list)
        and all(isinstance(name, str) for name in user)
        and (static is None or _is_static_spec(static))
    )
    if not fine:
        raise RunError(
            f"config.json in {str(path.parent)!r} names inputs rnncast does not make; the run "
            "is damaged or was edited."
        )
    return tuple(calendar), holidays, tuple(user), static


def _is_static_spec(spec) -> bool:
    """A static encoding as rnncast writes it: name -> null (numeric) or a list of text."""
    return isinstance(spec, dict) and all(
        isinstance(name, str)
        and (cats is None or (isinstance(cats, list) and all(isinstance(c, str) for c in cats)))
        for name, cats in spec.items()
    )


def _check_rows(frame: pd.DataFrame, path: Path, meta: dict, bounds) -> None:
    """Every value finite, and each series' dates strictly increasing: a reversed, repeated
    or emptied row would make the forecast start in the wrong place."""
    if not np.isfinite(frame.to_numpy()).all():
        raise RunError(f"{str(path)!r} has an empty or non-finite value; it is damaged.")
    if not meta.get("date"):
        return  # rows numbered 0, 1, ...
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        index = frame.index[a:b]
        if not (index.is_monotonic_increasing and index.is_unique):
            raise RunError(
                f"The dates in {str(path)!r} are not strictly increasing; the run is damaged "
                "or was edited, and a forecast from it would start in the wrong place."
            )


def _read_history(path: Path) -> History:
    if not path.is_file():
        return History()
    try:
        frame = pd.read_csv(path, **EXACT_FLOATS)
        train = frame["train_loss"].astype("float64").tolist()
        val = frame["val_loss"].astype("float64").dropna().tolist()
    except (KeyError, ValueError, TypeError, pd.errors.ParserError):
        raise RunError(f"{str(path)!r} is not a training history rnncast wrote.") from None
    return History(train_loss=train, val_loss=val, epochs_run=len(frame))
