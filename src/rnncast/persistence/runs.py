"""Run directories: written atomically, read back as JSON, CSV and safetensors only.

A run directory holds ``config.json`` (every setting, the data's hash, package versions),
``weights.safetensors``, ``scaler.json``, ``series.csv`` (the cleaned data the model saw),
``history.csv``, ``metrics.json`` and the plots. Nothing is pickled and loading executes no
code from the directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rnncast import __version__
from rnncast.config import FitConfig
from rnncast.data.prepare import PreparedData
from rnncast.data.scaling import Scaler
from rnncast.data.split import Split
from rnncast.errors import ConfigError, RunError
from rnncast.training.loop import History, resolve_device

if TYPE_CHECKING:
    from rnncast.forecasting.forecaster import Forecaster

FORMAT = "rnncast-run"
FORMAT_VERSION = 1
REQUIRED = ("config.json", "weights.safetensors", "scaler.json", "series.csv")


def default_run_dir(model: str, root: str = "runs") -> str:
    """``runs/<timestamp>-<model>``, unique within the second."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return str(Path(root) / f"{stamp}-{model}")


def save_run(
    forecaster: Forecaster,
    path: str | os.PathLike,
    overwrite: bool = False,
    plots: bool = True,
    forecast_steps: int | None = None,
) -> str:
    """Write every file to a temporary sibling directory, then move it into place."""
    with atomic_directory(path, overwrite) as tmp:
        _write_files(forecaster, tmp, plots, forecast_steps)
    return str(path)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to fill; on success it replaces ``path`` whole,
    on any error it is removed and ``path`` is left as it was."""
    final = check_destination(path, overwrite)
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-{os.getpid()}-", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # a run directory as any other, not mkdtemp's private 0700
    try:
        yield tmp
        check_destination(final, overwrite)  # another writer may have finished meanwhile
        _move_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def writer_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``path`` while one process trains and writes there; a
    second process asking for the same destination is refused at once."""
    import fcntl

    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = final.parent / f".{final.name}.lock"
    with open(lock, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                f"Another rnncast process is writing to {str(final)!r}; wait for it "
                "to finish or choose another --out."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            lock.unlink(missing_ok=True)


def check_destination(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse a destination that is a file, or a non-empty directory without ``overwrite``."""
    final = Path(path)
    if final.exists() and not final.is_dir():
        raise RunError(f"{str(final)!r} exists and is not a directory; choose another --out.")
    if final.exists() and any(final.iterdir()) and not overwrite:
        raise RunError(f"{str(final)!r} already exists; choose another --out or pass --overwrite.")
    return final


def _write_files(f: Forecaster, out: Path, plots: bool, forecast_steps: int | None) -> None:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in f.net_.state_dict().items()}
    save_file(state, str(out / "weights.safetensors"))
    _write_json(out / "config.json", _config_dict(f))
    _write_json(out / "scaler.json", f.scaler_.to_dict())
    _write_json(out / "metrics.json", f.metrics_)
    _write_series(f.data_, out / "series.csv")
    _history_frame(f.history_).to_csv(out / "history.csv", index=False)
    if forecast_steps:
        f.forecast(forecast_steps).to_csv(out / "forecast.csv", index=False)
    if plots:
        from rnncast.reports import pages
        from rnncast.reports import plots as plotting

        plotting.write_all(f, out, forecast_steps)
        (out / "report.html").write_text(pages.fit_page(f, out), encoding="utf-8")


def _remove_stale_siblings(final: Path) -> None:
    """Remove temporary siblings left by a writer that was killed (SIGKILL, power loss): their
    names carry the writer's process id, and a process that no longer exists writes nothing."""
    for sibling in final.parent.glob(f".{final.name}.*-*-*"):
        kind, _, rest = sibling.name[len(final.name) + 2 :].partition("-")
        pid = rest.partition("-")[0]
        if kind in ("tmp", "old") and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _move_into_place(tmp: Path, final: Path) -> None:
    """Put ``tmp`` at ``final`` so that ``final`` never holds a partial state, even if this
    process is killed: one rename, or one atomic exchange of two directories on Linux."""
    if not final.exists():
        os.rename(tmp, final)
        return
    if _exchange(tmp, final):  # final is now the new state; tmp holds the old one
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = final.parent / f".{final.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    os.rename(final, old)  # without renameat2: a moment with no final, the old one kept aside
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False if unsupported."""
    import ctypes
    import ctypes.util

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write a file through a temporary name in the same directory and rename it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def _config_dict(f: Forecaster) -> dict[str, Any]:
    import torch

    d = f.data_
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": f.config_.to_dict(),
        "data": {
            **f.source_,
            "target": list(d.targets),
            "features": list(d.features),
            "date": d.date,
            "freq": d.freq,
            "rows": d.n_rows,
            "missing_filled": d.missing_filled,
            "rows_dropped": d.rows_dropped,
            "notes": d.notes,
            "id_column": d.id_column,
            "ids": list(d.ids),
            "bounds": list(d.bounds),
        },
        "derived": {
            "season": f.season_,
            "split": list(f.split_),
            "splits": [list(s) for s in f.splits_],
            "usable": list(f.usable_),
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
def load_run(path: str | os.PathLike) -> Forecaster:
    """Rebuild a fitted :class:`Forecaster` from a run directory."""
    from rnncast.forecasting.forecaster import Forecaster

    root = Path(path)
    if not root.is_dir():
        raise RunError(f"No run directory at {str(root)!r}; give the --out of a finished fit.")
    for name in (*REQUIRED, *OPTIONAL):
        _check_run_file(root, name, required=name in REQUIRED)
    config = _read_json(root / "config.json")
    _check_config(config, root)
    try:
        cfg = FitConfig.from_dict(config["settings"])
    except (ConfigError, TypeError, KeyError) as exc:
        raise RunError(f"config.json in {str(root)!r} has bad settings: {exc}") from None
    f = Forecaster(**{k: v for k, v in cfg.to_dict().items()})
    data = _read_series(root / "series.csv", config["data"])
    scaler = Scaler.from_dict(_read_json(root / "scaler.json"))
    derived = config["derived"]
    splits = [Split(*s) for s in derived.get("splits", [derived["split"]])]
    f._set_state(
        cfg, data, splits, derived["season"], scaler, _source(config), derived.get("usable", [0])
    )
    f.device_ = resolve_device("auto" if cfg.device == "cuda" else cfg.device)
    f.history_ = _read_history(root / "history.csv")
    f.net_ = _load_weights(f, root / "weights.safetensors")
    metrics_path = root / "metrics.json"
    f.metrics_ = _read_json(metrics_path) if metrics_path.is_file() else None
    return f


OPTIONAL = ("history.csv", "metrics.json")
PICKLE_PROTOCOL = 0x80  # the first byte of every pickle since protocol 2


def _check_run_file(root: Path, name: str, required: bool) -> None:
    """A file that must be a plain file inside ``root``: no symlink out, no pickle inside."""
    path = root / name
    if not path.exists() and not path.is_symlink():
        if required:
            raise RunError(f"{str(root)!r} has no {name}; it is not a complete rnncast run.")
        return
    if path.is_symlink() and root.resolve() not in path.resolve().parents:
        raise RunError(
            f"{name} in {str(root)!r} is a link to a file outside the run directory; "
            "refusing to read it."
        )
    if not path.is_file():
        raise RunError(f"{name} in {str(root)!r} is not a plain file.")
    with open(path, "rb") as fh:
        head = fh.read(9)
    if _looks_like_pickle(head, safetensors=name.endswith(".safetensors")):
        raise RunError(
            f"{name} in {str(root)!r} holds pickle data; rnncast never loads pickles "
            "(runs are JSON, CSV and safetensors)."
        )


def _looks_like_pickle(head: bytes, safetensors: bool) -> bool:
    """Pickles since protocol 2 open with 0x80 and the protocol number. A safetensors file
    opens with its header's length (8 bytes, little-endian) and then '{', so a length whose
    first byte happens to be 0x80 is told apart by that brace."""
    starts = len(head) >= 2 and head[0] == PICKLE_PROTOCOL and 2 <= head[1] <= 5
    if safetensors:
        return starts and head[8:9] != b"{"
    return starts


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
        (data.get("bounds", []), _ints, "data.bounds"),
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
    for key in ("date", "freq", "id_column"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise RunError(f"{where}: data.{key} must be text or null, got {data[key]!r}.")


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _ints(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
    )


def _source(config: dict) -> dict:
    data = config["data"]
    return {k: data.get(k) for k in ("path", "sha256", "kind") if k in data}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{str(path)!r} is not valid JSON ({exc}); the run is damaged.") from None


def _read_series(path: Path, meta: dict) -> PreparedData:
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    frame = pd.read_csv(path, index_col=0, **exact)  # pandas 3 parses floats exactly by default
    id_column = meta.get("id_column")
    if id_column:
        names = frame.pop(id_column).astype(str).to_numpy()
        ids, bounds = tuple(meta["ids"]), tuple(meta["bounds"])
        if len(names) != bounds[-1] or any(
            names[bounds[g]] != ids[g] for g in range(len(ids)) if bounds[g] < bounds[g + 1]
        ):
            raise RunError(f"{str(path)!r} does not match the series in config.json.")
    if meta.get("date"):
        frame.index = pd.DatetimeIndex(pd.to_datetime(frame.index), name=meta["date"])
    else:
        frame.index = pd.RangeIndex(len(frame))
    expected = list(meta["features"]) + list(meta["target"])
    if list(frame.columns) != expected:
        raise RunError(f"{str(path)!r} does not hold the columns {expected}; the run is damaged.")
    frame = frame.astype("float64")
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
    )


def _read_history(path: Path) -> History:
    if not path.is_file():
        return History()
    frame = pd.read_csv(path)
    val = frame["val_loss"].dropna().tolist()
    return History(train_loss=frame["train_loss"].tolist(), val_loss=val, epochs_run=len(frame))


def _load_weights(f: Forecaster, path: Path):
    net = f._build()
    tensors = read_tensors(path)
    check_weights(tensors, net.state_dict(), repr(str(path)))
    net.load_state_dict(tensors)
    return net.to(f.device_).eval()


def read_tensors(path: Path) -> dict:
    """A safetensors file's tensors (never a pickle), or a RunError saying it is unreadable."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise RunError(f"{str(path)!r} is not a readable safetensors file ({exc}).") from None


def check_weights(tensors: dict, expected: dict, where: str) -> None:
    """Names, shapes and types of ``tensors`` must be those of a network's state dict."""
    if set(tensors) != set(expected):
        extra = sorted(set(tensors) ^ set(expected))[0]
        raise RunError(f"Weights in {where} do not match the network (tensor {extra!r}).")
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape or tensor.dtype != expected[name].dtype:
            raise RunError(f"Tensor {name!r} in {where} has the wrong shape or type.")
