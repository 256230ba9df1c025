"""Training on several processes with ``torch.distributed``: one place that knows the rank.

Launch with torchrun, which sets RANK, WORLD_SIZE and the rendezvous address:

    torchrun --standalone --nproc_per_node 2 -m rnncast fit data.csv --target y --distributed

Every process builds the same model from the same seed and shuffles the windows with the same
generator; each global batch of ``--batch-size`` windows is dealt out across the processes,
DistributedDataParallel averages the gradients (gloo on CPU, nccl on GPU), and only rank 0
scores the model and writes the run directory.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import torch

from rnncast.errors import ConfigError


@dataclass(frozen=True)
class Context:
    """This process's place: ``rank`` of ``world`` processes (0 of 1 when not distributed)."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, rows, batch_size: int):
        """This process's part of one global batch."""
        return rows[self.rank :: self.world]

    def usable(self, n: int) -> int:
        """Windows per epoch that split evenly across the processes."""
        return n - n % self.world

    def total(self, value: float) -> float:
        """The sum of ``value`` over every process."""
        if self.world == 1:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        torch.distributed.all_reduce(tensor)
        return float(tensor[0])


SINGLE = Context()


def start(batch_size: int, device: torch.device) -> Context:
    """Join the process group that torchrun prepared (NCCL to train on GPUs, gloo on CPUs);
    check the batch splits evenly and, on GPUs, that each process has one of its own."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise ConfigError(
            "--distributed needs a launcher that starts the processes: run it as "
            "torchrun --standalone --nproc_per_node N -m rnncast fit ... --distributed."
        )
    import torch.distributed as dist

    world = int(os.environ["WORLD_SIZE"])
    if batch_size % world:
        raise ConfigError(
            f"--batch-size {batch_size} must be a multiple of the {world} processes, so that "
            "every process takes the same share of each batch."
        )
    here, gpus = int(os.environ.get("LOCAL_WORLD_SIZE", world)), torch.cuda.device_count()
    if device.type == "cuda" and here > gpus:
        raise ConfigError(
            f"{here} processes on this machine but {gpus} GPU(s): each process trains on a GPU "
            f"of its own; start at most {gpus} (torchrun --nproc_per_node {gpus}), or train "
            "on the CPUs with --device cpu."
        )
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Context(dist.get_rank(), dist.get_world_size())


def device_for(ctx: Context, device: torch.device) -> torch.device:
    """On GPUs every process takes the one its LOCAL_RANK names."""
    if device.type == "cuda" and ctx.world > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return device


def wrap(net: torch.nn.Module, ctx: Context, device: torch.device) -> torch.nn.Module:
    """The module to train: DistributedDataParallel around ``net`` when distributed."""
    if ctx.world == 1:
        return net
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(net, device_ids=ids)


def finish(ctx: Context) -> None:
    """Leave the process group, and return only once every process has left it.

    A process that exited while another still held its gloo connections open aborted now and
    then at exit, after its last line of Python ("terminate called without an active
    exception"; about 1 run in 30 of ``tests/test_distributed.py`` under load, seen in CI), so
    each process signs out through the launcher's store and waits for the others.
    """
    if ctx.world == 1 or not torch.distributed.is_initialized():
        return
    from torch.distributed import distributed_c10d

    try:
        store = distributed_c10d._get_default_store()  # kept alive past the group
    except (AttributeError, RuntimeError):  # a PyTorch without it: leave as before
        store = None
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
    if store is not None:
        store.add("rnncast/left", 1)
        while store.add("rnncast/left", 0) < ctx.world:
            time.sleep(0.005)
