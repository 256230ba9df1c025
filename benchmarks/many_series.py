"""Many series: memory of the windowing at 10^8 values, and training windows per second.

    python benchmarks/many_series.py [--series 100000] [--length 1000] [--panel 2000]

Part 1 builds what training holds for a panel of SERIES x LENGTH float32 values — the scaled
values stacked into one array, the window origins as one run per series
(:class:`rnncast.data.windows.Spans`), the int32 shuffle order of an epoch — then trains a
small LSTM on a few hundred batches gathered from it, and reports the peak resident memory
added on top of the raw float32 array's own size, as a multiple of it.

Part 2 fits a global LSTM(32) through the normal API on a generated panel of PANEL series of
200 monthly points and reports training windows per second.

Figures are printed, not asserted: timings depend on the machine (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
import torch


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def memory_part(series: int, length: int, lookback: int = 60, batches: int = 300) -> dict:
    from rnncast.config import FitConfig
    from rnncast.data.windows import Spans, Windows
    from rnncast.nn.networks import build_network
    from rnncast.training.loop import make_loss, make_optimizer

    torch.set_num_threads(2)
    base = peak_rss_mb()
    rng = np.random.default_rng(0)
    raw = rng.standard_normal(series * length, dtype=np.float32).reshape(-1, 1)  # (N, 1)
    raw_mb = raw.nbytes / 2**20
    # Per-series scaling in place, as training would see it (one float32 array in all).
    view = raw.reshape(series, length)
    view -= view.min(axis=1, keepdims=True)
    view /= np.maximum(view.max(axis=1, keepdims=True), 1e-12)
    starts = np.arange(series, dtype=np.int64) * length + lookback
    spans = Spans(starts, np.full(series, length - lookback), np.arange(series))
    windows = Windows(raw, lookback, 1, [0], [0], spans, with_series=False)
    order = np.arange(len(windows), dtype=np.int32)
    rng.shuffle(order)
    cfg = FitConfig(units=(32,), lookback=lookback, batch_size=256)
    net = build_network("lstm(32) > dense", 1, lookback)
    optimizer, loss_fn = make_optimizer(cfg, net.parameters()), make_loss("mse")
    start = time.perf_counter()
    for b in range(batches):
        x, y = (torch.from_numpy(a) for a in windows.batch(order[b * 256 : (b + 1) * 256]))
        optimizer.zero_grad()
        loss_fn(net(x), y).backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    added = peak_rss_mb() - base
    return {
        "series": series,
        "length": length,
        "values": series * length,
        "windows": len(windows),
        "raw_float32_mb": round(raw_mb),
        "peak_added_mb": round(added),
        "ratio_to_raw": round(added / raw_mb, 2),
        "windows_per_second": round(batches * 256 / seconds),
    }


def panel_part(n_series: int, length: int = 200) -> dict:
    from rnncast import Forecaster

    torch.set_num_threads(2)
    rng = np.random.default_rng(1)
    t = np.arange(length)
    frames = [
        pd.DataFrame(
            {
                "id": f"s{k}",
                "date": pd.date_range("2000-01-01", periods=length, freq="MS"),
                "y": rng.uniform(10, 100)
                * (1 + 0.2 * np.sin(2 * np.pi * t / 12 + rng.uniform(0, 6))),
            }
        )
        for k in range(n_series)
    ]
    data = pd.concat(frames, ignore_index=True)
    start = time.perf_counter()
    f = Forecaster(
        model="lstm", units=32, lookback=24, epochs=1, batch_size=256, test_size=12, val_size=0
    ).fit(data, target="y", id="id")
    total = time.perf_counter() - start
    h = f.history_
    return {
        "series": n_series,
        "points": n_series * length,
        "train_windows": h.train_windows,
        "train_seconds": round(h.seconds, 2),
        "windows_per_second": round(h.train_windows / h.seconds),
        "whole_fit_seconds": round(total, 1),
        "one_step_rmse": round(f.metrics_["test"]["one_step"]["model"]["rmse"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=1_000)
    parser.add_argument("--panel", type=int, default=2_000)
    args = parser.parse_args()
    print("memory:", memory_part(args.series, args.length))
    print("panel:", panel_part(args.panel))


if __name__ == "__main__":
    main()
