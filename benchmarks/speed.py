"""rnncast's speed on the two workloads of issue 8, beside a plain PyTorch loop, in one run.

    python benchmarks/speed.py                     # A and B, 3 interleaved repeats
    python benchmarks/speed.py --reps 1 --epochs 1 # a quick look
    python benchmarks/speed.py --device cuda       # on a GPU (absolute times count there)

(A) a daily stock close (MSFT, 7,983 days), lookback 60, 4 x [LSTM(50) > Dropout(0.2)] >
Dense(1), 10 epochs; (B) 146 monthly US employment series, one global LSTM(64) > Dense(1),
2 epochs; both batch 32, Adam 1e-3, MSE, the last 20% of each series as test. The data and
the plain loop are the team harness's (``../shared/bench``: data/, systems/b_torch.py); rnncast
runs through ``benchmarks/e_rnncast.py``, its entry in that harness, each run in its own
process so peak memory is its own. Keras, Darts and NeuralForecast run in the harness itself
(``benchmarks/peers.sh``).

Printed per workload: training windows per second of the whole ``fit`` call and of training
alone, seconds per epoch, the achieved GFLOP/s beside the measured throughput of the LSTM
step's own matrix product, single-forecast latency and peak memory; medians of the repeats,
with the ratio to the plain loop measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
WORKLOADS = {"A": (2, [50, 50, 50, 50], 10), "B": (3, [64], 2)}  # harness task, layers, epochs
LOOKBACK = 60


def bench_dir() -> pathlib.Path:
    for candidate in (os.environ.get("BENCH_DIR"), HERE.parents[1] / "shared" / "bench"):
        if candidate and (pathlib.Path(candidate) / "common.py").is_file():
            return pathlib.Path(candidate)
    sys.exit("The team harness (../shared/bench) was not found: set BENCH_DIR.")


def train_flop_per_window(layers: list[int]) -> float:
    """Forward: per step and layer 8*H*(I+H) (four gates, multiply and add); training: 3x."""
    inputs, flop = 1, 0
    for hidden in layers:
        flop += LOOKBACK * 8 * hidden * (inputs + hidden)
        inputs = hidden
    return 3 * (flop + 2 * layers[-1])


def matmul_gflops(threads: int, m: int = 32, k: int = 65, n: int = 256) -> float:
    """float32 GFLOP/s of one LSTM step's product, (B x (I+H)) @ ((I+H) x 4H), best of 7."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(200):
        a @ b
    best = float("inf")
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(2000):
            a @ b
        best = min(best, (time.perf_counter() - t0) / 2000)
    return 2 * m * k * n / best / 1e9


def run(script: pathlib.Path, task: int, seed: int, epochs: int, threads: int, device: str):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), RNNCAST_BENCH_DEVICE=device)
    env.update(MKL_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    cmd = [sys.executable, str(script), "--task", str(task), "--seed", str(seed)]
    cmd += ["--epochs", str(epochs), "--threads", str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=script.parent)
    lines = [x for x in done.stdout.splitlines() if x.startswith('{"system"')]
    if done.returncode or not lines:
        sys.exit(f"{script.name} task {task} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workloads", default="A,B")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--epochs", type=int, help="override each workload's epochs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--no-plain-loop", action="store_true", help="time rnncast alone")
    args = ap.parse_args()
    bench = bench_dir()
    systems = [HERE / "e_rnncast.py"]
    if not args.no_plain_loop and args.device == "cpu":
        systems.append(bench / "systems" / "b_torch.py")
    yardstick = matmul_gflops(args.threads)
    print(f"LSTM-step matmul (32x65 @ 65x256, float32, {args.threads} threads): "
          f"{yardstick:.1f} GFLOP/s", flush=True)  # fmt: skip
    for name in args.workloads.split(","):
        task, layers, epochs = WORKLOADS[name]
        epochs = args.epochs or epochs
        runs: dict[str, list[dict]] = {}
        for rep in range(args.reps):  # interleaved: rnncast, plain loop, rnncast, ...
            for script in systems:
                rec = run(script, task, 42 + rep, epochs, args.threads, args.device)
                runs.setdefault(rec["system"], []).append(rec)
        report(name, layers, epochs, runs, yardstick)


def report(name: str, layers, epochs: int, runs: dict[str, list[dict]], yardstick: float):
    flop = train_flop_per_window(layers)
    print(f"\nWorkload {name}: {epochs} epochs, median of {len(next(iter(runs.values())))} runs")
    head = (
        f"{'system':<14}{'fit win/s':>10}{'train win/s':>12}{'s/epoch':>9}{'GFLOP/s':>9}"
        f"{'% of matmul':>12}{'1 forecast ms':>14}{'peak MB':>9}{'test RMSE':>10}{'naive':>8}"
    )
    print(head)
    plain = None
    for system, recs in runs.items():
        med = {k: statistics.median(r[k] for r in recs) for k in NUMBERS if k in recs[0]}
        training = statistics.median(
            r["train_windows"] / r.get("training_seconds", r["train_seconds"]) for r in recs
        )
        gflops = training * flop / 1e9
        print(
            f"{system:<14}{med['train_windows_per_second']:>10,.0f}{training:>12,.0f}"
            f"{med['seconds_per_epoch']:>9.2f}{gflops:>9.1f}{100 * gflops / yardstick:>11.0f}%"
            f"{med['single_forecast_ms']:>14.3f}{med['peak_rss_mb']:>9.0f}"
            f"{med['test_rmse']:>10.3f}{med['naive_rmse']:>8.3f}"
        )
        if system == "pytorch-loop":
            plain = med
    if plain is not None and "rnncast" in runs:
        ours = {k: statistics.median(r[k] for r in runs["rnncast"]) for k in NUMBERS}
        speed = ours["train_windows_per_second"] / plain["train_windows_per_second"]
        memory = ours["peak_rss_mb"] / plain["peak_rss_mb"]
        print(f"rnncast / plain loop: fit windows/s x{speed:.2f}, peak memory x{memory:.2f}")


NUMBERS = (
    "train_windows_per_second",
    "seconds_per_epoch",
    "single_forecast_ms",
    "peak_rss_mb",
    "test_rmse",
    "naive_rmse",
)

if __name__ == "__main__":
    main()
