"""An ensemble's members trained one after another against side by side in worker processes.

    python benchmarks/members.py                # the default recipe's 5 members, bundled data
    python benchmarks/members.py --reps 5

Each fit runs in its own fresh process, in turn (``jobs=1``) and side by side (``jobs`` = the
cores) interleaved, ``--reps`` times; printed are the median wall times of the training alone
(``history_.train_seconds``) and of the whole fit, and their ratio, for workloads from a few
thousand window-epochs to a few million. The rule that picks side by side by itself
(``rnncast.forecasting.fitting.member_processes``, ``SIDE_BY_SIDE_WORK`` window-epochs) comes
from the smallest workload where it wins here.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# (dataset, target, settings): the default recipe (median of 5 LSTM(16)) with its epochs
WORKLOADS = [
    ("airline", "passengers", {"horizon": 12, "epochs": 5}),
    ("airline", "passengers", {"horizon": 12, "epochs": 40}),
    ("electricity", "total", {"horizon": 12, "epochs": 40}),
    ("chicago", "ridership", {"horizon": 7, "epochs": 10}),
    ("chicago", "ridership", {"horizon": 7, "epochs": 40}),
]

FIT = r"""
import json, sys, time
from rnncast import Forecaster, datasets
name, target, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
data = datasets.load(name)
start = time.perf_counter()
f = Forecaster(**settings, seed=0).fit(data, target=target)
total = time.perf_counter() - start
h = f.history_
print(json.dumps({"train": h.seconds, "total": total, "processes": h.processes,
                  "work": h.train_windows}))
"""


def measure(name: str, target: str, settings: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", FIT, name, target, json.dumps(settings)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"{cores} cores; median of {args.reps} fits each, in turn and side by side interleaved\n")
    head = ["data", "epochs", "window-epochs", "in turn (s)", "side by side (s)", "ratio"]
    print("| " + " | ".join([*head, "whole fit ratio"]) + " |")
    print("|---|---|---|---|---|---|---|")
    for name, target, settings in WORKLOADS:
        turn, side = [], []
        for _ in range(args.reps):
            turn.append(measure(name, target, {**settings, "jobs": 1}))
            side.append(measure(name, target, {**settings, "jobs": cores}))
        t = statistics.median(r["train"] for r in turn)
        s = statistics.median(r["train"] for r in side)
        tt = statistics.median(r["total"] for r in turn)
        st = statistics.median(r["total"] for r in side)
        print(
            f"| {name} | {settings['epochs']} | {turn[0]['work']:,} | {t:.2f} | {s:.2f} | "
            f"{t / s:.2f} | {tt / st:.2f} |"
        )


if __name__ == "__main__":
    main()
