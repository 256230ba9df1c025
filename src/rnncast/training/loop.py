"""The training loop: shuffled mini-batches of windows, early stopping, best weights restored.

Seeding and device choice live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from rnncast.config import FitConfig
from rnncast.data.windows import Windows
from rnncast.errors import ConfigError, RunError
from rnncast.nn.layers import recurrent_depth
from rnncast.runtime import cores
from rnncast.runtime.distributed import SINGLE, Context, wrap
from rnncast.runtime.precision import full_float32
from rnncast.training.optimizers import Optimizer

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
        seconds: Wall time of training alone (summed over an interrupted run and its resume).
        stop_reason: Why training ended, in plain words.
        interrupted: Where training stood when a stop was asked for; None when it finished.
        processes: How many worker processes trained an ensemble's members at once.
        jobs_unused: Why the ``jobs`` asked for went unused (a GPU, torchrun); "" otherwise.
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    train_windows: int = 0
    seconds: float = 0.0
    stop_reason: str = ""
    processes: int = 1  # ensemble members trained at once (rnncast.training.parallel)
    jobs_unused: str = ""
    interrupted: Progress | None = None


@dataclass
class Progress:
    """Everything needed to continue an interrupted training run exactly where it stopped.

    The network's own weights are not here: they are the network's state at the stop.

    Attributes:
        epoch: The 1-based epoch in progress.
        batch: Batches of that epoch already done.
        shuffle_state: The shuffling generator's state just before that epoch's shuffle.
        loss_sum: Sum of the epoch's batch losses so far (times their window counts).
        loss_count: Windows those losses cover.
        best_score: Loss of the best epoch so far (inf before the first).
        best_state: Weights of the best epoch so far.
        optimizer_state: The optimizer's ``state_dict()``.
        torch_rng: PyTorch's CPU generator state (dropout), and CUDA's when on a GPU.
        member: With an ensemble, the member being trained (the ones before it are done).
    """

    epoch: int
    batch: int
    shuffle_state: dict
    loss_sum: float
    loss_count: int
    best_score: float
    best_state: dict[str, torch.Tensor]
    optimizer_state: dict
    torch_rng: dict[str, torch.Tensor]
    member: int = 0


class Stop:
    """A request to stop training at the next batch boundary (set by a signal handler)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def set(self, signum: int = 0) -> None:
        self.signum = signum

    def is_set(self) -> bool:
        return self.signum is not None


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


def make_optimizer(cfg: FitConfig, params) -> Optimizer:
    """The configured optimizer over ``params`` (see :mod:`rnncast.training.optimizers` for why not
    ``torch.optim``)."""
    return Optimizer(cfg.optimizer, params, lr=cfg.lr, momentum=cfg.momentum)


def make_loss(
    name: str, reduction: str = "mean", quantile: float = 0.5, quantiles=None
) -> nn.Module:
    """The loss ``name``; ``pinball`` at ``quantile``, or at each of ``quantiles`` at once."""
    if quantiles:
        return PinballLoss(quantiles, reduction=reduction)
    if name == "pinball":
        return PinballLoss(quantile, reduction=reduction)
    kinds = {"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss, "smape": SmapeLoss}
    return kinds[name](reduction=reduction)


class PinballLoss(nn.Module):
    """The quantile loss at ``quantile`` q: ``q (y - f)`` when the forecast is below the
    actual, ``(1 - q) (f - y)`` above it; its minimiser is the q-quantile.

    Given Q quantiles, the forecast holds Q blocks of the actual's steps (B, Q * S, C), block
    k for quantile k (see :class:`rnncast.nn.networks.Quantiles`), and the loss is the mean of
    their losses (``sum``: summed over values, averaged over quantiles)."""

    def __init__(self, quantile: float | tuple[float, ...], reduction: str = "mean") -> None:
        super().__init__()
        self.quantiles = torch.tensor(quantile, dtype=torch.float32).reshape(1, -1, 1, 1)
        self.reduction = reduction

    def forward(self, forecast: torch.Tensor, actual: torch.Tensor) -> torch.Tensor:
        q = self.quantiles.to(forecast)
        if q.shape[1] == 1:  # one quantile: any shapes that match
            error, q = actual - forecast, q.reshape(())
        else:
            b, s, c = actual.shape
            error = actual[:, None] - forecast.reshape(b, q.shape[1], s, c)  # (B, Q, S, C)
        losses = torch.maximum(q * error, (q - 1) * error)
        if self.reduction == "sum":
            return losses.sum() / q.shape[1]
        return losses.mean()


class SmapeLoss(nn.Module):
    """Symmetric absolute percentage error, ``2 |y - f| / (|y| + |f|)`` per value (0 to 2):
    scale-free, so series of any size weigh alike (the M competitions' sMAPE / 100)."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, forecast: torch.Tensor, actual: torch.Tensor) -> torch.Tensor:
        size = (actual.abs() + forecast.abs()).clamp_min(1e-8)  # both 0: no error, no NaN
        errors = 2 * (actual - forecast).abs() / size
        return errors.sum() if self.reduction == "sum" else errors.mean()


def train(
    net: nn.Module,
    train_set: Windows,
    val_set: Windows | None,
    cfg: FitConfig,
    device: torch.device,
    on_epoch: EpochCallback | None = None,
    ctx: Context = SINGLE,
    stop: Stop | None = None,
    resume: tuple[History, Progress] | None = None,
) -> History:
    """Train ``net`` in place; with a validation set, keep the weights of its best epoch.

    With a distributed ``ctx`` every process runs this same loop on its share of each batch.
    When ``stop`` is set, training halts before the next batch and the returned history's
    ``interrupted`` holds what :func:`train` needs, as ``resume``, to go on as if it had never
    stopped: the same batches, the same dropout masks, the same final weights.
    """
    model = wrap(net, ctx, device)
    train_set = OnDevice(train_set, device)
    val_set = OnDevice(val_set, device) if val_set is not None else None
    shards = training_shards(net, cfg.batch_size, device) if ctx.world == 1 else 1
    with full_float32(device), one_buffer(net, ctx.world == 1) as params, cores.spread(shards):
        optimizer = make_optimizer(cfg, params)
        return _train(
            net, model, optimizer, train_set, val_set, cfg, device, on_epoch, ctx, stop, resume,
            shards,
        )  # fmt: skip


def training_shards(net: nn.Module, batch_size: int, device: torch.device) -> int:
    """Shards per training batch (see :mod:`rnncast.runtime.cores`). Only networks of two or more
    stacked recurrent layers gain: measured on 2 cores (``benchmarks/shards.py``), a step of
    4 x LSTM(50) takes 13 ms in two shards against 25 ms whole, two LSTM(64) 6.6 against
    12 ms, while one LSTM(64), one BiLSTM(50) or one RNN(64) is as fast or faster whole."""
    return cores.count(batch_size, device) if recurrent_depth(net) >= 2 else 1


def _train(
    net, model, optimizer, train_set, val_set, cfg, device, on_epoch, ctx, stop, resume, shards
):
    loss_fn = make_loss(cfg.loss, quantile=cfg.quantile, quantiles=cfg.quantiles)
    rng = np.random.default_rng(cfg.seed)
    history, best = History(), (math.inf, copy.deepcopy(net.state_dict()))
    first_epoch, position = 1, (0, 0.0, 0)
    if resume is not None:
        history, progress = resume
        history.interrupted = None
        best = (progress.best_score, progress.best_state)
        _load_optimizer(optimizer, progress.optimizer_state["state"])
        rng.bit_generator.state = progress.shuffle_state
        _set_torch_rng(progress.torch_rng)
        first_epoch = progress.epoch
        position = (progress.batch, progress.loss_sum, progress.loss_count)
    start = time.perf_counter() - history.seconds
    on_batch = getattr(on_epoch, "on_batch", None)  # a display's progress inside an epoch
    for epoch in range(first_epoch, cfg.epochs + 1):
        shuffle_state = rng.bit_generator.state
        order = _epoch_order(len(train_set), rng, ctx)
        done, loss_sum, count, stopped = _run_epoch(
            model, train_set, order, cfg, device, optimizer, loss_fn, ctx, position, stop, shards,
            on_batch,
        )  # fmt: skip
        position = (0, 0.0, 0)
        if stopped:
            history.seconds = time.perf_counter() - start
            history.interrupted = Progress(
                epoch, done, shuffle_state, loss_sum, count, best[0], best[1],
                optimizer.state_dict(), _torch_rng(device),
            )  # fmt: skip
            return history
        train_loss = ctx.total(loss_sum) / ctx.total(count)  # the mean over every process
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
    ran = f"ran all {cfg.epochs} epochs" if cfg.epochs > 1 else "ran its one epoch"
    history.stop_reason = history.stop_reason or ran
    return history


@contextlib.contextmanager
def one_buffer(net: nn.Module, enabled: bool = True) -> Iterator[list[nn.Parameter]]:
    """Yield the parameters to optimise: with ``enabled``, a single one holding them all.

    Every parameter of ``net`` becomes a view into one buffer, and its gradient a view into
    another, so the optimizer updates one tensor per step instead of one per parameter: the
    same elementwise arithmetic (equal up to the last bit, where a vectorised kernel splits
    the longer tensor differently) with a fraction of the kernel launches, which cost about a
    tenth of a small LSTM's training step. On exit the parameters own their
    storage again, so state dicts and saved weights never share memory.

    On a GPU, cuDNN wants a recurrent layer's weights in a buffer of its own layout: while
    they are views into ours it packs them anew at each call (a copy of a few hundred kB for
    these networks; expected to cost less than the optimizer launches the one buffer saves,
    not measured) and would warn so on every fit; the warning is silenced inside, and on exit
    the weights are packed for cuDNN once, for forecasting.
    """
    params = [p for p in net.parameters() if p.requires_grad]
    if not enabled or not params or len({(p.dtype, p.device) for p in params}) > 1:
        yield params
        return
    data = torch.empty(
        sum(p.numel() for p in params), dtype=params[0].dtype, device=params[0].device
    )
    grad = torch.zeros_like(data)
    offset = 0
    for p in params:
        end = offset + p.numel()
        data[offset:end].copy_(p.detach().reshape(-1))
        p.data, p.grad = data[offset:end].view_as(p), grad[offset:end].view_as(p)
        offset = end
    flat = nn.Parameter(data)
    flat.grad = grad
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "RNN module weights are not part of single")
            yield [flat]
    finally:
        for p in params:
            p.data, p.grad = p.data.clone(), None
        if data.is_cuda:
            for module in net.modules():
                if isinstance(module, nn.RNNBase):
                    module.flatten_parameters()


def _load_optimizer(optimizer: Optimizer, state: dict) -> None:
    """Restore a checkpoint's optimizer state after checking it fits these parameters."""
    params = optimizer.params
    for key, entries in state.items():
        fits = isinstance(key, int) and 0 <= key < len(params)
        tensors = [v for v in entries.values() if isinstance(v, torch.Tensor) and v.dim()]
        if not fits or any(t.shape != params[key].shape for t in tensors):
            raise RunError("The optimizer state in the checkpoint does not match the network.")
    optimizer.load_state_dict({"state": state})


def _epoch_order(n: int, rng: np.random.Generator, ctx: Context) -> np.ndarray:
    """This epoch's window order, the same on every process."""
    order = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)  # half the memory of int64
    rng.shuffle(order)  # the same order as rng.permutation(n)
    return order[: ctx.usable(n)]


def _run_epoch(
    net, windows, order, cfg, device, optimizer, loss_fn, ctx, position, stop, shards, on_batch
):
    """Train on ``order`` from batch ``position[0]`` on; ``on_batch(done, batches, mean
    loss so far)`` after each batch, when given.

    Returns (batches done, loss sum, windows counted, whether ``stop`` ended it early).
    """
    net.train()
    done, total, count = position
    firsts = range(done * cfg.batch_size, len(order), cfg.batch_size)
    batches = done + len(firsts)
    for first in firsts:
        if stop is not None and stop.is_set():
            return done, total, count, True
        rows = ctx.shard(order[first : first + cfg.batch_size], cfg.batch_size)
        x, y, series = windows.batch(rows)
        if shards > 1 and cores.count(len(rows), device) > 1:
            loss = _sharded_gradients(net, optimizer, cfg, x, y, series, device)
        else:
            optimizer.zero_grad()  # in place: one_buffer's views stay valid
            loss = loss_fn(net(x, series), y)
            loss.backward()
        if cfg.clip_norm > 0:
            nn.utils.clip_grad_norm_(optimizer.params, cfg.clip_norm)
        optimizer.step()
        total += loss.item() * len(rows)
        count += len(rows)
        done += 1
        if on_batch is not None:
            on_batch(done, batches, total / count)
    return done, total, count, False


def _sharded_gradients(net, optimizer, cfg, x, y, series, device) -> torch.Tensor:
    """The batch's mean loss, its gradients left in each parameter's ``.grad``, computed in
    shards side by side (see :mod:`rnncast.runtime.cores`): each shard's summed loss over the whole
    batch's size, its gradients summed in shard order, its dropout seeded from PyTorch's
    generator, so a run repeats exactly."""
    n = cores.count(len(x), device)
    params = [p for p in net.parameters() if p.requires_grad]
    seeds = torch.randint(2**62, (n,)).tolist()
    summed, scale = make_loss(cfg.loss, "sum", cfg.quantile, cfg.quantiles), 1.0 / y.numel()

    def shard(part) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys, ss, seed = part
        with cores.seeded(seed):
            loss = summed(net(xs, ss), ys) * scale
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        pairs = zip(grads, params, strict=True)
        flat = [p.new_zeros(p.numel()) if g is None else g.reshape(-1) for g, p in pairs]
        return loss.detach(), torch.cat(flat)

    parts = list(
        zip(x.tensor_split(n), y.tensor_split(n), cores.split(series, n), seeds, strict=True)
    )
    results = cores.run(shard, parts)
    loss, grad = results[0]
    for part_loss, part_grad in results[1:]:
        loss, grad = loss + part_loss, grad.add_(part_grad)
    flat_grad = optimizer.params[0].grad if len(optimizer.params) == 1 else None
    if flat_grad is not None and flat_grad.numel() == grad.numel():
        flat_grad.copy_(grad)  # one_buffer: every parameter's .grad is a view into it
    else:
        for p, g in zip(params, grad.split([p.numel() for p in params]), strict=True):
            p.grad = g.view_as(p)
    return loss


def _torch_rng(device: torch.device) -> dict[str, torch.Tensor]:
    states = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def _set_torch_rng(states: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(states["cpu"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state(states["cuda"])


@torch.no_grad()
def _evaluate_loss(net, windows: Windows, device, loss_fn, chunk: int = 4096) -> float:
    net.eval()
    total = 0.0
    for first in range(0, len(windows), chunk):
        rows = np.arange(first, min(first + chunk, len(windows)))
        x, y, series = windows.batch(rows)
        total += loss_fn(cores.forward(net, x, series), y).item() * len(rows)
    return total / len(windows)


class OnDevice:
    """The windows of a :class:`Windows`, gathered as tensors on ``device``.

    The scaled values are copied to the device once (on a CPU they are shared, not copied);
    each batch is then gathered there by index from strided views, so a GPU receives only the
    batch's row numbers, never its windows.
    """

    def __init__(self, windows: Windows, device: torch.device) -> None:
        values = torch.from_numpy(windows.values).to(device)  # (T, F)
        span = int(windows.leads[-1]) + 1
        self.past = values.unfold(0, windows.lookback, 1)  # (T - L + 1, F, L), a view
        self.future = values.unfold(0, span, 1)  # (T - S + 1, F, S), a view
        self.inputs = torch.as_tensor(windows.inputs, device=device)
        self.targets = torch.as_tensor(windows.targets, device=device)
        self.leads = torch.as_tensor(windows.leads, device=device)
        self.windows, self.device = windows, device

    def __len__(self) -> int:
        return len(self.windows)

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """x (B, L, F_in), y (B, S, C) and the windows' series (B,) or None."""
        w = self.windows
        origins = np.asarray(w.origins[rows], dtype=np.int64)
        t = torch.from_numpy(origins).to(self.device, non_blocking=True)
        x = self.past.index_select(0, t - w.lookback).index_select(1, self.inputs)  # (B, F_in, L)
        y = self.future.index_select(0, t).index_select(1, self.targets)  # (B, C, S_all)
        y = y.index_select(2, self.leads)  # (B, C, S)
        groups = w.series(rows)
        series = None if groups is None else torch.from_numpy(groups).to(self.device)
        return x.transpose(1, 2), y.transpose(1, 2), series  # (B, L, F_in), (B, S, C)
