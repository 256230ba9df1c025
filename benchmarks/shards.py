"""One training step on whole batches against the same step cut into shards across the cores.

    python benchmarks/shards.py                  # the networks of docs/performance.md
    python benchmarks/shards.py --reps 5 --spec "lstm(64) > lstm(64) > dense"

Each measurement runs in its own process (the shard threads and glibc's settings are per
process), whole and sharded interleaved, ``--reps`` times; printed are the medians of the
best-of-5 times per step (32 windows of 60 steps, Adam, MSE), and their ratio. The rule that
decides what trains in shards is ``rnncast.training.loop.training_shards``; this script forces both
ways for every network, to show where the rule comes from.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SPECS = [
    " > ".join(["lstm(50) > dropout(0.2)"] * 4) + " > dense",
    "lstm(64) > lstm(64) > dense",
    "stacked-bilstm",
    "stacked-gru",
    "lstm(64) > dense",
    "rnn(64) > dense",
    "cnn-lstm",
    "seq2seq",
]

STEP = r"""
import sys, time, torch
from rnncast.runtime import cores
from rnncast.config import FitConfig
from rnncast.nn.networks import build_network
from rnncast.training.loop import _sharded_gradients, make_loss, make_optimizer, one_buffer

spec, mode, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
net = build_network(spec, input_size=1, lookback=60).train()
x, y = torch.randn(batch, 60, 1), torch.randn(batch, 1, 1)
cpu = torch.device("cpu")
with one_buffer(net) as params, cores.spread(threads if mode == "shards" else 1):
    optimizer = make_optimizer(FitConfig(), params)
    loss_fn = make_loss("mse")

    def whole():
        optimizer.zero_grad()
        loss_fn(net(x), y).backward()
        optimizer.step()

    def shards():
        _sharded_gradients(net, optimizer, "mse", x, y, None, cpu)
        optimizer.step()

    step = shards if mode == "shards" else whole
    for _ in range(10):
        step()
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(20):
            step()
        best = min(best, (time.perf_counter() - t0) / 20)
print(best * 1e3)
"""


def time_step(spec: str, mode: str, threads: int, batch: int) -> float:
    cmd = [sys.executable, "-c", STEP, spec, mode, str(threads), str(batch)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{spec} ({mode}) failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", action="append", help="a model spec (repeatable); default: all")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    print(f"ms per training step, {args.batch} windows of 60 steps, {args.threads} threads")
    print(f"{'network':52s} {'whole':>8s} {'shards':>8s} {'ratio':>6s}")
    for spec in args.spec or SPECS:
        runs = {"whole": [], "shards": []}
        for _ in range(args.reps):
            for mode in runs:
                runs[mode].append(time_step(spec, mode, args.threads, args.batch))
        whole, shards = (statistics.median(runs[m]) for m in ("whole", "shards"))
        print(f"{spec[:52]:52s} {whole:8.2f} {shards:8.2f} {whole / shards:5.2f}x")


if __name__ == "__main__":
    main()
