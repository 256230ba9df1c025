"""Ensemble members trained side by side, one worker process each, on a CPU.

A member of a small network cannot keep several cores busy on its own (its batches are too
small to split well), so training the members of an ensemble at the same time, one thread per
worker, finishes sooner (``benchmarks/members.py`` measures by how much). Each member trains
exactly as it would alone — the same seed, the same batches, the same dropout — so the weights
equal those of training them one after another up to float rounding (one thread may sum in
another order than several).

Workers are forked (where the platform forks, see :func:`available`): nothing of the caller's
script runs again in them, and they start in milliseconds. One thread each keeps the forked
OpenMP runtime out of use, as PyTorch's own data-loading workers do.

Workers ignore SIGINT and SIGTERM: the parent catches them and asks every worker, through a
shared event, to stop at its next batch; what each had done comes back, and the caller keeps a
checkpoint of the first unfinished member (see :func:`rnncast.forecasting.fitting.train_predictor`).
Epoch reports come back through a queue, for the progress display; when the caller's
``on_epoch`` raises (a tuning trial pruned or stopped), every worker is told to stop too.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import queue as queues
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from rnncast.config import FitConfig
from rnncast.data.windows import Windows
from rnncast.training.loop import History, Stop, train

_EVENT: Any = None  # in a worker: the shared stop event and the queue of epoch reports
_REPORTS: Any = None


class _SharedStop(Stop):
    """A worker's stop request: the parent's event."""

    def is_set(self) -> bool:
        return _EVENT.is_set()


def available() -> bool:
    """Whether members can train side by side here: where processes fork."""
    return "fork" in mp.get_all_start_methods()


def _start_worker(event, reports, parent: int) -> None:
    global _EVENT, _REPORTS
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    torch.set_num_threads(1)
    _EVENT, _REPORTS = event, reports
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker when its parent is gone (killed outright, it could not say so)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)  # SIGTERM is ignored here


def _train_member(k: int, net: nn.Module, cfg: FitConfig, train_set, val_set, resume, rng):
    """One member in a worker: its weights at the end and its history."""
    if rng is not None:
        torch.set_rng_state(rng)
    else:
        torch.manual_seed(cfg.seed)

    def report(epoch: int, train_loss: float, val_loss: float | None) -> None:
        _REPORTS.put((k, epoch, train_loss, val_loss))

    cpu, stop = torch.device("cpu"), _SharedStop()
    history = train(net, train_set, val_set, cfg, cpu, report, stop=stop, resume=resume)
    return net.state_dict(), history


def train_members(
    jobs: list[tuple[int, nn.Module, FitConfig, Any, torch.Tensor | None]],
    train_set: Windows,
    val_set: Windows | None,
    processes: int,
    on_epoch: Callable | None = None,
    stop: Stop | None = None,
) -> dict[int, tuple[dict, History]]:
    """Train members in ``processes`` workers at once.

    Args:
        jobs: ``(k, network, settings, resume, rng)`` per member: ``resume`` the checkpoint
            state it goes on from (or None), ``rng`` PyTorch's generator state to start from
            (None: seeded with its own seed).
        on_epoch: Called with the epochs of the lowest-numbered member still training.
        stop: When set (by a signal), every worker stops at its next batch.

    Returns:
        Member -> (its weights, its history), the history's ``interrupted`` set where stopped.
    """
    context = mp.get_context("fork")
    event, reports = context.Event(), context.Queue()
    results: dict[int, tuple[dict, History]] = {}
    with cf.ProcessPoolExecutor(
        processes,
        mp_context=context,
        initializer=_start_worker,
        initargs=(event, reports, os.getpid()),
    ) as pool:
        pending = {
            pool.submit(_train_member, k, net, cfg, train_set, val_set, resume, rng): k
            for k, net, cfg, resume, rng in jobs
        }
        running = sorted(pending.values())
        try:
            while pending:
                done, _ = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
                for future in done:
                    k = pending.pop(future)
                    results[k] = future.result()
                    running.remove(k)
                if stop is not None and stop.is_set():
                    event.set()
                _forward(reports, on_epoch, running)
        except BaseException:  # on_epoch stopped the fit (a pruned trial, Ctrl-C): so do they
            event.set()
            raise
    _forward(reports, on_epoch, running)
    return results


def _forward(reports, on_epoch, running: Sequence[int]) -> None:
    """Hand the workers' epoch reports of the lowest running member to ``on_epoch``."""
    while True:
        try:
            k, epoch, train_loss, val_loss = reports.get_nowait()
        except queues.Empty:
            return
        if on_epoch is not None and running and k == running[0]:
            on_epoch(epoch, train_loss, val_loss)
