"""A long table through the CLI: time and peak memory of `fit` (one epoch) and `forecast`.

    python benchmarks/big_table.py                  # 2,000,000 hourly rows (issue 15)
    python benchmarks/big_table.py --rows 200000    # a quicker look

Generates an hourly series with daily and weekly seasons, a slow trend and noise, writes it as
CSV into a scratch folder, then runs, each in its own process so that its peak memory is its
own: ``rnncast fit --model lstm --epochs 1`` (the plain LSTM(64), lookback 30), and
``rnncast forecast RUN --steps 48`` on the saved run. Prints wall time, peak resident
memory and the size of ``metrics.json`` and of the run directory. Figures are printed, not
asserted (see docs/performance.md for the ones measured).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(rows: int, path: Path) -> None:
    t = np.arange(rows, dtype=np.float64)
    rng = np.random.default_rng(0)
    load = (
        1000
        + 0.001 * t
        + 150 * np.sin(2 * np.pi * t / 24)
        + 60 * np.sin(2 * np.pi * t / (24 * 7))
        + rng.normal(scale=20, size=rows)
    )
    dates = pd.date_range("2000-01-01", periods=rows, freq="h")
    pd.DataFrame({"time": dates, "load": load.round(3)}).to_csv(path, index=False)


# Runs the rnncast command and, on the way out, reports the process's own peak memory.
WRAPPER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('PEAK_KIB', "
    "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))\n"
    "from rnncast.cli.app import main\n"
    "main(sys.argv[1:])\n"
)


def timed(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of ``rnncast ARGS`` in a process of its own."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"rnncast {' '.join(args)} failed:\n{proc.stderr}")
    peak = next(line for line in proc.stderr.splitlines() if line.startswith("PEAK_KIB"))
    return seconds, int(peak.split()[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        data, run = Path(scratch) / "hourly.csv", Path(scratch) / "run"
        start = time.perf_counter()
        make_table(args.rows, data)
        print(
            f"{args.rows:,} hourly rows written in {time.perf_counter() - start:.1f} s "
            f"({data.stat().st_size / 2**20:.0f} MB CSV)"
        )
        fit = ["fit", str(data), "--target", "load", "--model", "lstm", "--epochs", "1", "-q"]
        fit += ["--out", str(run)]
        seconds, peak = timed(fit)
        metrics = (run / "metrics.json").stat().st_size / 2**20
        total = sum(p.stat().st_size for p in run.iterdir()) / 2**20
        print(
            f"fit, 1 epoch:  {seconds:8.1f} s, peak {peak:7.0f} MB; metrics.json "
            f"{metrics:.2f} MB, run directory {total:.0f} MB"
        )
        seconds, peak = timed(["forecast", str(run), "--steps", "48"])
        print(f"forecast 48:   {seconds:8.1f} s, peak {peak:7.0f} MB")


if __name__ == "__main__":
    main()
