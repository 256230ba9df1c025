"""Interrupted training: stop cleanly on SIGINT or SIGTERM, save where it stood, go on later.

A checkpoint directory holds ``checkpoint.json`` (settings, the data's identity, the position
in training, the history so far, the shuffling generator's state) and
``checkpoint.safetensors`` (the weights, the best weights so far, the optimizer's tensors and
PyTorch's random state). It is written atomically where the run directory would have gone, and
read back with the same checks as a run: JSON and safetensors only, nothing executed.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rnncast.config import FitConfig
from rnncast.errors import ConfigError, RnncastError, RunError
from rnncast.persistence.files import (
    atomic_directory,
    check_not_temporary,
    check_plain_file,
    check_weights,
    holds_run,
    is_ours,
    json_format,
    read_json,
    read_tensors,
    save_tensors,
    write_json,
)
from rnncast.training.loop import History, Progress, Stop
from rnncast.version import __version__

FORMAT = "rnncast-checkpoint"
FORMAT_VERSION = 1
FILES = ("checkpoint.json", "checkpoint.safetensors")


class TrainingInterrupted(RnncastError):
    """Training stopped on a signal; a checkpoint to resume from was written to ``path``."""

    def __init__(self, message: str, path: str, signum: int) -> None:
        super().__init__(message)
        self.path, self.signum = path, signum


@dataclass
class Checkpoint:
    """What :func:`read_checkpoint` gives back: enough to rebuild the fit and go on."""

    config: FitConfig
    fit: dict[str, Any]
    history: History
    progress: Progress
    weights: dict[str, torch.Tensor]


@contextlib.contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """Turn SIGINT and SIGTERM into a request to stop at the next batch.

    A second Ctrl-C stops at once, as Ctrl-C normally does. Outside the main thread (where
    Python cannot install handlers) the yielded request is simply never set.
    """
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum, frame):
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def interrupted(
    cfg: FitConfig,
    history: History,
    net: torch.nn.Module,
    path: str | None,
    fit: dict[str, Any],
    signum: int,
) -> Exception:
    """Save an interrupted training (``history.interrupted`` says where it stood) to
    ``path`` and return the error that says so."""
    p = history.interrupted
    where = f"epoch {p.epoch} of {cfg.epochs}"
    where = f"{where}, after {p.batch} of its batches" if p.batch else f"the start of {where}"
    name = signal.Signals(signum).name if signum else "a stop request"
    if path is None:
        return TrainingInterrupted(
            f"Training stopped by {name} at {where}; nothing was saved (pass checkpoint= to "
            "fit to keep a resumable checkpoint).",
            "",
            signum,
        )
    write_checkpoint(cfg, history, net, path, fit, signum)
    return TrainingInterrupted(
        f"Training stopped by {name} at {where}. A checkpoint is saved in {path!r}; continue "
        f"with: rnncast fit --resume {path}",
        path,
        signum,
    )


def write_checkpoint(
    cfg: FitConfig,
    history: History,
    net: torch.nn.Module,
    path: str,
    fit: dict[str, Any],
    signum: int,
) -> None:
    """Write the checkpoint directory atomically, replacing an older checkpoint there."""
    h, p = history, history.interrupted
    tensors = _prefixed("net", net.state_dict()) | _prefixed("best", p.best_state)
    tensors |= _prefixed("rng", p.torch_rng)
    optim_tensors, optim_values = _split_optimizer(p.optimizer_state)
    tensors |= optim_tensors
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "rnncast": __version__,
        "signal": signum,
        "settings": cfg.to_dict(),
        "fit": fit,
        "position": {
            "epoch": p.epoch,
            "batch": p.batch,
            "loss_sum": p.loss_sum,
            "loss_count": p.loss_count,
            "best_score": p.best_score if math.isfinite(p.best_score) else None,
            "shuffle_state": p.shuffle_state,
            "member": p.member,
        },
        "history": {
            "train_loss": h.train_loss,
            "val_loss": h.val_loss,
            "best_epoch": h.best_epoch,
            "epochs_run": h.epochs_run,
            "train_windows": h.train_windows,
            "seconds": h.seconds,
        },
        "optimizer": optim_values,
    }
    with atomic_directory(path, overwrite=True) as tmp:
        save_tensors(tensors, tmp / "checkpoint.safetensors")
        write_json(tmp / "checkpoint.json", meta)


def check_place(path: str | Path) -> None:
    """A checkpoint may go only where nothing but an older checkpoint would be replaced:
    checked before training, so a stop never costs the user a run or other files."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise RunError(f"The checkpoint place {str(root)!r} is a file; give a directory.")
    if not root.exists() or not any(root.iterdir()) or is_checkpoint(root):
        return
    what = "files rnncast did not write"
    if is_ours(root):
        what = "a finished run" if holds_run(root) else "another rnncast output"
    raise RunError(
        f"{str(root)!r} holds {what}; a checkpoint there would replace it. Give an empty or "
        "new directory for the checkpoint."
    )


def is_checkpoint(path: str | Path) -> bool:
    """Whether ``path`` holds an rnncast checkpoint (by its description's format)."""
    return json_format(Path(path) / "checkpoint.json") == FORMAT


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read and check a checkpoint directory; every problem is a :class:`RunError`."""
    root = Path(path)
    if not root.is_dir():
        raise RunError(f"No checkpoint at {str(root)!r}; give the --out of an interrupted fit.")
    check_not_temporary(root)
    if not is_checkpoint(root) and (root / "config.json").exists():
        raise RunError(f"{str(root)!r} holds a finished run, not a checkpoint; nothing to resume.")
    for name in FILES:
        check_plain_file(root, name, required=True)
    meta = read_json(root / "checkpoint.json")
    _check_meta(meta, root)
    try:
        config = FitConfig.from_saved(meta["settings"])
    except (ConfigError, TypeError) as exc:
        raise RunError(f"checkpoint.json in {str(root)!r} has bad settings: {exc}") from None
    tensors = read_tensors(root / "checkpoint.safetensors")
    pos, hist = meta["position"], meta["history"]
    history = History(**hist)
    best = pos["best_score"]
    progress = Progress(
        epoch=pos["epoch"],
        batch=pos["batch"],
        shuffle_state=pos["shuffle_state"],
        loss_sum=pos["loss_sum"],
        loss_count=pos["loss_count"],
        best_score=math.inf if best is None else best,
        best_state=_unprefixed("best", tensors),
        optimizer_state=_join_optimizer(tensors, meta["optimizer"], root),
        torch_rng=_unprefixed("rng", tensors),
        member=pos.get("member", 0),  # 0 in checkpoints written before ensembles
    )
    if "cpu" not in progress.torch_rng or progress.torch_rng["cpu"].dtype != torch.uint8:
        raise RunError(f"checkpoint.safetensors in {str(root)!r} has no usable random state.")
    return Checkpoint(config, meta["fit"], history, progress, _unprefixed("net", tensors))


def restore(
    ckpt: Checkpoint, net: torch.nn.Module, where: str, training: torch.nn.Module | None = None
) -> tuple:
    """Load the checkpoint's weights into ``net``; return ``train``'s ``resume`` argument for
    the network that was training (``net`` itself, or the ensemble member ``training``)."""
    check_weights(ckpt.weights, net.state_dict(), where)
    check_weights(ckpt.progress.best_state, (training or net).state_dict(), where)
    try:
        np.random.default_rng().bit_generator.state = ckpt.progress.shuffle_state
    except (TypeError, ValueError, KeyError) as exc:
        raise RunError(f"The shuffling state in {where} is not usable ({exc}).") from None
    net.load_state_dict(ckpt.weights)
    return ckpt.history, ckpt.progress


# -- the file's pieces ----------------------------------------------------------------------
def _prefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v.detach().cpu().contiguous() for k, v in tensors.items()}


def _unprefixed(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    cut = len(prefix) + 1
    return {k[cut:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def _split_optimizer(state: dict) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Optimizer tensors for safetensors (``optim.<param>.<name>``), the rest for JSON."""
    tensors, values = {}, {}
    for index, entries in state["state"].items():
        for name, value in entries.items():
            key = f"{index}.{name}"
            if isinstance(value, torch.Tensor):
                tensors[f"optim.{key}"] = value.detach().cpu().contiguous()
            else:
                values[key] = value
    return tensors, values


def _join_optimizer(tensors: dict, values: dict, root: Path) -> dict:
    """The ``state`` part of an optimizer's state dict (its settings come from the config)."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in [*_unprefixed("optim", tensors).items(), *values.items()]:
        index, _, name = key.partition(".")
        if not index.isdigit() or not name:
            raise RunError(f"checkpoint in {str(root)!r} has a bad optimizer entry {key!r}.")
        state.setdefault(int(index), {})[name] = value
    return {"state": state}


def _check_meta(meta: Any, root: Path) -> None:
    where = f"checkpoint.json in {str(root)!r}"
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunError(f"{str(root)!r} is not an rnncast checkpoint (no '{FORMAT}' format).")
    version = meta.get("format_version")
    if not isinstance(version, int) or version != FORMAT_VERSION:
        raise RunError(
            f"{where} is checkpoint format {version!r}, written by rnncast "
            f"{meta.get('rnncast')!r}; this rnncast ({__version__}) resumes format "
            f"{FORMAT_VERSION} only. Use the rnncast that wrote it."
        )
    pos, hist = meta.get("position"), meta.get("history")
    fields = {
        "settings": isinstance(meta.get("settings"), dict),
        "fit": isinstance(meta.get("fit"), dict),
        "optimizer": isinstance(meta.get("optimizer"), dict)
        and all(v is None or isinstance(v, (int, float)) for v in meta["optimizer"].values()),
        "position": isinstance(pos, dict)
        and all(_count(pos.get(k)) for k in ("epoch", "batch", "loss_count"))
        and isinstance(pos.get("loss_sum"), (int, float))
        and (pos.get("best_score") is None or isinstance(pos["best_score"], (int, float)))
        and isinstance(pos.get("shuffle_state"), dict)
        and _count(pos.get("member", 0)),
        "history": isinstance(hist, dict)
        and set(hist) == {f for f in History.__dataclass_fields__ if f not in _NOT_SAVED}
        and all(isinstance(hist[k], list) for k in ("train_loss", "val_loss"))
        and all(_count(hist[k]) for k in ("best_epoch", "epochs_run", "train_windows")),
    }
    for name, ok in fields.items():
        if not ok:
            raise RunError(f"{where}: {name!r} is not what rnncast writes; it is damaged.")
    fit = meta["fit"]
    if not isinstance(fit.get("target"), list) or not isinstance(fit.get("source"), dict):
        raise RunError(f"{where}: 'fit' does not name the data and target; it is damaged.")


_NOT_SAVED = ("stop_reason", "interrupted", "processes", "jobs_unused")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
