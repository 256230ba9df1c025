"""Latency of one forecast window: the exported ONNX file through onnxruntime against
``Predictor.predict`` in PyTorch, the same model and window, side by side in one process.

    python benchmarks/export_latency.py            # the default recipe and an LSTM(64)
    python benchmarks/export_latency.py --reps 2000

Each model is fitted briefly on the bundled airline series (the weights do not change the
cost), exported with the horizon's steps, and called ``--reps`` times on one window, the two
ways interleaved in rounds; printed are the median times per call and their ratio. Both give
the same numbers (``tests/forecasting/test_export.py``). A second table shows what the
recursive roll-out, unrolled in the graph, costs as the steps grow: file size and latency. A
third weighs the unrolled roll-out against an ONNX ``Loop`` (a TorchScript-scripted loop
around the traced network; the exporter unrolls short constant loops itself and writes a
``Loop`` node for long ones), the same one-step LSTM(64), the network alone.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import torch
from torch import nn

from rnncast import Forecaster, datasets
from rnncast.data.seasonal import first_phase

MODELS = {
    "default recipe (median of 5 LSTM(16))": dict(horizon=12, epochs=1),
    "LSTM(64), lookback 30": dict(model="lstm", horizon=12, epochs=1),
}


def timed(call, reps: int) -> float:
    start = time.perf_counter()
    for _ in range(reps):
        call()
    return (time.perf_counter() - start) / reps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = datasets.load("airline")
    threads = torch.get_num_threads()
    print(f"PyTorch {torch.__version__} ({threads} threads), onnxruntime {ort.__version__}\n")
    print("| model | PyTorch predict (ms) | onnxruntime (ms) | ratio |")
    print("|---|---|---|---|")
    rolled = []
    for label, settings in MODELS.items():
        f = Forecaster(**settings).fit(data, target="passengers")
        p = f.predictor_
        with tempfile.TemporaryDirectory() as tmp:
            path = f.export_onnx(str(Path(tmp) / "m.onnx"))
            session = ort.InferenceSession(path)
        rows = data.iloc[-p.lookback :]
        window = rows[["passengers"]].to_numpy(np.float32)[None]
        feeds = {"window": window}
        phase = None
        if p.scaler.seasonal:
            phase = first_phase(pd.DatetimeIndex(pd.to_datetime(rows["month"])), "MS")
            feeds["phase"] = np.array([phase], dtype=np.int64)
        torch_times, onnx_times = [], []
        for _ in range(args.rounds):
            torch_times.append(timed(partial(p.predict, window, phase=phase), args.reps))
            onnx_times.append(timed(partial(session.run, None, feeds), args.reps))
        t, o = statistics.median(torch_times) * 1e3, statistics.median(onnx_times) * 1e3
        print(f"| {label} | {t:.3f} | {o:.3f} | {t / o:.1f} |")
        rolled.append((label, f, feeds))
    print("\n| model | steps (network calls) | file (KB) | onnxruntime (ms) |")
    print("|---|---|---|---|")
    for label, f, feeds in rolled:
        for blocks in (1, 4, 10):
            steps = blocks * f.config_.max_step
            with tempfile.TemporaryDirectory() as tmp:
                path = f.export_onnx(str(Path(tmp) / "m.onnx"), steps=steps)
                size = Path(path).stat().st_size / 1024
                session = ort.InferenceSession(path)
            call = partial(session.run, None, feeds)
            ms = statistics.median(timed(call, args.reps) for _ in range(args.rounds)) * 1e3
            print(f"| {label} | {steps} ({blocks}) | {size:.0f} | {ms:.3f} |")
    loop_against_unrolled(data, args)


class _Network(nn.Module):
    """The network alone, called with one argument (for tracing)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, None)


class _Rolled(nn.Module):
    """``steps`` one-step calls of ``net``, each fed the forecasts before it."""

    def __init__(self, net: nn.Module, steps: int) -> None:
        super().__init__()
        self.net, self.steps = net, steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = []
        for _ in range(self.steps):
            y = self.net(x)[:, 0]
            outs.append(y)
            x = torch.cat([x[:, 1:], y[:, None]], 1)
        return torch.stack(outs, 1)


def loop_against_unrolled(data: pd.DataFrame, args) -> None:
    import io
    import warnings

    import onnx

    f = Forecaster(model="lstm", units=64, lookback=30, horizon=1, epochs=1, seed=0)
    f.fit(data, target="passengers")
    example = torch.ones(1, 30, 1)
    print(
        "\n| one-step LSTM(64), steps | unrolled: file (KB), ms | Loop: file (KB), ms | Loop node |"
    )
    print("|---|---|---|---|")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = _Network(f.predictor_.net.eval())
        traced = torch.jit.trace(network, example)
        for steps in (12, 48, 120):
            figures = []
            for module in (_Rolled(network, steps), torch.jit.script(_Rolled(traced, steps))):
                buffer = io.BytesIO()
                torch.onnx.export(module, (example,), buffer, dynamo=False, opset_version=17,
                                  input_names=["window"], output_names=["forecast"])  # fmt: skip
                session = ort.InferenceSession(buffer.getvalue())
                call = partial(session.run, None, {"window": example.numpy()})
                ms = statistics.median(timed(call, args.reps) for _ in range(args.rounds)) * 1e3
                figures.append((len(buffer.getvalue()) / 1024, ms, buffer.getvalue()))
            (su, mu, _), (sl, ml, model) = figures
            has_loop = any(n.op_type == "Loop" for n in onnx.load_from_string(model).graph.node)
            print(f"| {steps} | {su:.0f}, {mu:.3f} | {sl:.0f}, {ml:.3f} | {has_loop} |")


if __name__ == "__main__":
    main()
