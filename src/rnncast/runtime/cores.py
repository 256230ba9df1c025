"""How work uses the CPU's cores: a batch of windows cut into shards, one per core, each run
by its own thread; a few windows on one thread.

Why: PyTorch splits each operation of a small recurrent network across its threads, and on
these sizes the handing over costs about what the second core adds. Measured on a 2-core
machine (benchmarks/shards.py): one training step of four LSTM(50) layers on 32 windows takes
25 ms on two PyTorch threads, while two threads that each take 16 of the windows on one
PyTorch thread finish both halves in 13 ms. The recurrent kernels release the GIL, so the
shards really run side by side; forecasts of many windows gain the same way (2,048 windows
through the same stack: 420 -> 195 ms). Which networks train in shards is decided by
:func:`rnncast.training.loop.training_shards`.

A training step then sums the shards' gradients in a fixed order (the same numbers on every
run), and dropout inside a shard draws from a generator seeded for that shard from PyTorch's
global one, so seeds and resumed checkpoints give the same weights as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

MIN_SHARD = 8  # windows; below this a shard's own overhead outweighs the second core
T = TypeVar("T")

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()
_local = threading.local()


def _forget_pools() -> None:
    """In a forked child the pools' threads do not exist: start afresh, or work would wait
    forever on threads that never run it."""
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def count(batch: int, device: torch.device) -> int:
    """How many shards a batch of ``batch`` windows is cut into: one per PyTorch thread of
    the calling thread (inside :func:`spread`, the count it was given), at least
    ``MIN_SHARD`` windows each, and one on a GPU."""
    if device.type != "cpu" or getattr(_local, "worker", False):
        return 1
    threads = getattr(_local, "threads", None) or torch.get_num_threads()
    return max(1, min(threads, batch // MIN_SHARD))


@contextlib.contextmanager
def spread(n: int) -> Iterator[None]:
    """Within the block, batches are cut into up to ``n`` shards and the calling thread runs
    on one PyTorch thread: its idle OpenMP team would otherwise spin on the very cores the
    shards run on (measured: a training step of 12.5 ms took 19.6 ms beside it)."""
    if n <= 1 or getattr(_local, "threads", None):
        yield
        return
    _pool(n)
    before = torch.get_num_threads()
    _local.threads = n
    torch.set_num_threads(1)
    try:
        yield
    finally:
        _local.threads = None
        torch.set_num_threads(before)


@contextlib.contextmanager
def few_windows(batch: int, device: torch.device) -> Iterator[None]:
    """Run the forward pass of a few windows on one CPU thread.

    For them handing work between threads costs more than the work itself: one window through
    an LSTM(64) over 60 steps takes about 0.16 ms on one thread and 0.4 ms on two (2-core
    CPU, benchmarks/speed.py). Larger batches keep every thread, or are cut into shards.
    """
    before = torch.get_num_threads()
    if device.type != "cpu" or batch > FEW_WINDOWS or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


FEW_WINDOWS = 4


def run(fn: Callable[[T], object], parts: Sequence[T]) -> list:
    """``[fn(part) for part in parts]``, each part on its own worker thread; results in order.

    Gradient mode is thread-local in PyTorch, so each worker runs under the caller's.
    """
    if len(parts) == 1:
        return [fn(parts[0])]
    grad = torch.is_grad_enabled()
    inference = torch.is_inference_mode_enabled()

    def call(part: T):
        with torch.inference_mode(inference), torch.set_grad_enabled(grad):
            return fn(part)

    futures = [_pool(len(parts)).submit(call, part) for part in parts]
    return [f.result() for f in futures]


def _pool(workers: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` threads, each with one PyTorch thread, made once per size."""
    with _pools_lock:
        if workers not in _pools:
            _pools[workers] = _start(workers)
        return _pools[workers]


def _start(workers: int) -> ThreadPoolExecutor:
    _keep_freed_memory()
    before = torch.get_num_threads()
    ready = threading.Barrier(workers + 1)

    def init() -> None:
        _local.worker = True
        torch.get_num_threads()  # PyTorch's lazy per-thread set-up first, or it undoes the next
        torch.set_num_threads(1)  # this thread's own OpenMP/MKL count
        ready.wait()

    pool = ThreadPoolExecutor(workers, thread_name_prefix="rnncast-core", initializer=init)
    for _ in range(workers):  # start every thread now, so each has run init() before use
        pool.submit(lambda: None)
    ready.wait()
    torch.set_num_threads(before)  # PyTorch keeps the last count for threads made later
    return pool


def _keep_freed_memory() -> None:
    """Let glibc keep freed blocks of up to 8 MB, and up to 8 MB free per arena, for the
    next step to reuse.

    Each worker thread allocates from its own malloc arena, and by default glibc gives the
    large blocks of a training step back to the system when they are freed and faults fresh
    pages in at the next step: measured, 15–25 ms per step of four LSTM(50) layers instead
    of 12.5 ms. Keeping more (16 MB blocks, 64 MB free) was no faster and held 30 MB more
    at the peak of a 146-series fit. Not done when the user set glibc's own variables, nor
    off glibc.
    """
    if platform.libc_ver()[0] != "glibc" or any(k in os.environ for k in _MALLOC_ENV):
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(_M_MMAP_THRESHOLD, 8 << 20)
    libc.mallopt(_M_TRIM_THRESHOLD, 8 << 20)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Within this thread, dropout draws from a generator seeded with ``seed``."""
    _local.generator = torch.Generator().manual_seed(seed)
    try:
        yield
    finally:
        _local.generator = None


def generator() -> torch.Generator | None:
    """The generator :func:`seeded` set in this thread, or None (PyTorch's global one)."""
    return getattr(_local, "generator", None)


def split(t: torch.Tensor | None, n: int) -> list[torch.Tensor | None]:
    """``t`` cut along its first dimension into ``n`` nearly equal views (None stays None)."""
    return [None] * n if t is None else list(t.tensor_split(n))


def forward(net: Callable, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
    """``net(x, series)`` with the windows (B, L, F) cut into shards across the cores.

    >>> net = lambda x, series: x.sum(dim=(1, 2))
    >>> forward(net, torch.ones(40, 3, 2)).shape
    torch.Size([40])
    """
    n = count(len(x), x.device)
    if n == 1:
        return net(x, series)
    parts = list(zip(x.tensor_split(n), split(series, n), strict=True))
    with spread(n):
        return torch.cat(run(lambda part: net(*part), parts))
