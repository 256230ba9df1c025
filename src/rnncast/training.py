"""The training loop: shuffled mini-batches of windows, early stopping, best weights restored.

Seeding and device choice live here and nowhere else.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnncast.config import FitConfig
from rnncast.data.windows import Windows
from rnncast.distributed import SINGLE, Context, wrap
from rnncast.errors import ConfigError

EpochCallback = Callable[[int, float, float | None], None]


@dataclass
class History:
    """What happened during training.

    Attributes:
        train_loss: Mean training loss per epoch (scaled units).
        val_loss: Validation loss per epoch, empty without a validation part.
        best_epoch: 1-based epoch whose weights were kept.
        epochs_run: Epochs actually run.
        train_windows: Windows seen in training, summed over the epochs run.
        seconds: Wall time of training alone.
        stop_reason: Why training ended, in plain words.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    train_windows: int = 0
    seconds: float = 0.0
    stop_reason: str = ""


def resolve_device(name: str) -> torch.device:
    """``auto`` is CUDA when available, else CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("`device` is 'cuda' but no CUDA GPU is available; use --device cpu.")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed PyTorch's generators (weights, dropout); shuffling has its own NumPy generator."""
    torch.manual_seed(seed)


def make_optimizer(cfg: FitConfig, params) -> torch.optim.Optimizer:
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.momentum > 0)


def make_loss(name: str) -> nn.Module:
    return {"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}[name]()


def train(
    net: nn.Module,
    train_set: Windows,
    val_set: Windows | None,
    cfg: FitConfig,
    device: torch.device,
    on_epoch: EpochCallback | None = None,
    ctx: Context = SINGLE,
) -> History:
    """Train ``net`` in place; with a validation set, keep the weights of its best epoch.

    With a distributed ``ctx`` every process runs this same loop on its share of each batch.
    """
    history = History()
    model = wrap(net, ctx, device)
    optimizer = make_optimizer(cfg, model.parameters())
    loss_fn = make_loss(cfg.loss)
    rng = np.random.default_rng(cfg.seed)
    best = (math.inf, copy.deepcopy(net.state_dict()))
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        train_loss = _run_epoch(model, train_set, cfg, device, optimizer, loss_fn, rng, ctx)
        if not math.isfinite(train_loss):
            history.stop_reason = (
                f"the training loss became {train_loss} in epoch {epoch}; kept the last good "
                "weights (try a lower --lr, --clip-norm 1 or a scaler)"
            )
            break
        history.train_loss.append(train_loss)
        seen = ctx.usable(len(train_set))
        history.epochs_run, history.train_windows = epoch, history.train_windows + seen
        val_loss = _evaluate_loss(net, val_set, device, loss_fn) if val_set is not None else None
        if val_loss is not None:
            history.val_loss.append(val_loss)
        score = val_loss if val_loss is not None else train_loss
        if score < best[0]:
            best = (score, copy.deepcopy(net.state_dict()))
            history.best_epoch = epoch
        if on_epoch is not None:
            on_epoch(epoch, train_loss, val_loss)
        if val_loss is not None and cfg.patience and epoch - history.best_epoch >= cfg.patience:
            history.stop_reason = f"no validation improvement for {cfg.patience} epochs"
            break
    history.seconds = time.perf_counter() - start
    if val_set is None and history.stop_reason == "":
        best = (best[0], copy.deepcopy(net.state_dict()))  # no validation: keep the last epoch
        history.best_epoch = history.epochs_run
    net.load_state_dict(best[1])
    history.stop_reason = history.stop_reason or f"ran all {cfg.epochs} epochs"
    return history


def _run_epoch(net, windows, cfg, device, optimizer, loss_fn, rng, ctx=SINGLE) -> float:
    net.train()
    n = len(windows)
    order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)  # half the memory of int64
    rng.shuffle(order)  # the same order as rng.permutation(n)
    order = order[: ctx.usable(n)]
    total, count = 0.0, 0
    for first in range(0, len(order), cfg.batch_size):
        rows = ctx.shard(order[first : first + cfg.batch_size], cfg.batch_size)
        x, y = (torch.from_numpy(a).to(device) for a in windows.batch(rows))
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(x, _series(windows, rows, device)), y)
        loss.backward()
        if cfg.clip_norm > 0:
            nn.utils.clip_grad_norm_(net.parameters(), cfg.clip_norm)
        optimizer.step()
        total += loss.item() * len(rows)
        count += len(rows)
    total, count = ctx.total(total), ctx.total(count)  # the epoch's mean over every process
    return total / count


@torch.no_grad()
def _evaluate_loss(net, windows: Windows, device, loss_fn, chunk: int = 4096) -> float:
    net.eval()
    total = 0.0
    for first in range(0, len(windows), chunk):
        rows = np.arange(first, min(first + chunk, len(windows)))
        x, y = (torch.from_numpy(a).to(device) for a in windows.batch(rows))
        total += loss_fn(net(x, _series(windows, rows, device)), y).item() * len(rows)
    return total / len(windows)


def _series(windows: Windows, rows: np.ndarray, device) -> torch.Tensor | None:
    groups = windows.series(rows)
    return None if groups is None else torch.from_numpy(groups).to(device)
