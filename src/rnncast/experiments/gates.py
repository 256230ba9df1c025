"""The gates of a trained LSTM or GRU run, made visible over one test window.

The first recurrent layer's weights are copied into the NumPy reference, which runs the
window the model read for its last one-step test forecast and keeps every gate: forget, input
and output gates and the cell state of an LSTM; update and reset gates of a GRU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnncast.errors import RunError
from rnncast.experiments.common import write_csv
from rnncast.nn.layers import RecurrentLayer
from rnncast.reference import from_torch

SHOWN = {"lstm": ("forget", "input", "output", "cell"), "gru": ("update", "reset", "candidate")}


def window_gates(f) -> dict:
    """Gates of the first recurrent layer over the last test window of a fitted forecaster.

    Returns:
        ``cell`` (lstm or gru), ``index`` (the window's dates or rows), ``series`` (the target
        over the window, original units) and ``gates``: name -> (T, H) array.
    """
    layer = _first_recurrent(f)
    group = f.usable_[0]  # with many series, the first one the model was trained on
    cfg, data, split = f.config_, f.data_.series(group), f.splits_[group]
    n, lookback = len(data.frame), cfg.lookback
    if split.n_test == 0:
        raise RunError("This run has no test part; gates shows a test window.")
    rows = slice(n - 1 - lookback, n - 1)  # the inputs of the last one-step test forecast
    x = f.predictor_.scaled(data)[rows][:, f.predictor_.inputs][None]  # (1, L, F_in)
    ref = from_torch(layer.rnn)
    ref.forward(x.astype(np.float64))
    gates = {k: v[0] for k, v in ref.gates_of().items() if k in SHOWN[layer.cell]}
    return {
        "cell": layer.cell,
        "index": data.frame.index[rows],
        "series": data.frame.iloc[rows, f.predictor_.targets[0]].to_numpy(),
        "target": data.targets[0],
        "gates": gates,
    }


def _first_recurrent(f) -> RecurrentLayer:
    block = f.predictor_.net.blocks[0]
    if not isinstance(block, RecurrentLayer) or block.cell == "rnn":
        raise RunError("gates needs a run whose first layer is an LSTM or GRU, e.g. --model lstm.")
    if block.rnn.bidirectional or block.activation != "tanh":
        raise RunError(
            "gates reads a one-direction LSTM or GRU layer with tanh; this run's "
            "first layer is not one."
        )
    return block


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = SHOWN[result["cell"]]
    fig, axes = plt.subplots(
        len(names) + 1,
        1,
        figsize=(11, 2.1 * (len(names) + 1) + 0.8),
        sharex=True,
        gridspec_kw={"height_ratios": [1.4] + [1] * len(names)},
    )
    steps = np.arange(len(result["series"]))
    axes[0].plot(steps, result["series"], color="#222222", marker="o", ms=2.5)
    axes[0].set_ylabel(result["target"])
    axes[0].set_xlim(-0.5, len(steps) - 0.5)  # aligned with the heatmaps' cells
    first, last = result["index"][0], result["index"][-1]
    axes[0].set_title(
        f"{result['cell'].upper()} gates over the last test window ({_fmt(first)} to {_fmt(last)})"
    )
    for ax, name in zip(axes[1:], names, strict=True):
        values = result["gates"][name].T  # (H, T)
        cmap, limits = (
            ("RdBu_r", _symmetric(values)) if name in ("cell", "candidate") else ("viridis", (0, 1))
        )
        image = ax.imshow(
            values,
            aspect="auto",
            cmap=cmap,
            vmin=limits[0],
            vmax=limits[1],
            interpolation="nearest",
            extent=(-0.5, len(steps) - 0.5, values.shape[0] - 0.5, -0.5),
        )
        ax.set_ylabel(f"{name}\nunit")
        fig.colorbar(image, ax=ax, pad=0.01, fraction=0.03)
    axes[-1].set_xlabel("step in the window (oldest first)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(result: dict, out: Path) -> None:
    rows = [
        {
            "gate": name,
            "step": t,
            "date": str(result["index"][t]),
            "unit": u,
            "value": float(values[t, u]),
        }
        for name, values in result["gates"].items()
        for t in range(values.shape[0])
        for u in range(values.shape[1])
    ]
    write_csv(out / "gates.csv", rows)
    plot(result, out / "gates.png")


def _symmetric(values: np.ndarray) -> tuple[float, float]:
    bound = float(np.abs(values).max()) or 1.0
    return -bound, bound


def _fmt(stamp) -> str:
    return str(stamp.date()) if hasattr(stamp, "date") else str(stamp)
