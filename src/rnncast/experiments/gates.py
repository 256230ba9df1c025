"""The gates of a trained LSTM or GRU run, made visible over one test window.

The first recurrent layer's weights are copied into the NumPy reference, which runs what that
layer read for the model's last one-step test forecast and keeps every gate: forget, input
and output gates and the cell state of an LSTM; update and reset gates of a GRU.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rnncast.errors import RunError
from rnncast.experiments.common import write_csv
from rnncast.forecasting.predictor import trained_parts
from rnncast.nn.layers import RecurrentLayer
from rnncast.nn.networks import StackNet
from rnncast.reference import from_torch

SHOWN = {"lstm": ("forget", "input", "output", "cell"), "gru": ("update", "reset", "candidate")}


def window_gates(f, member: int = 1) -> dict:
    """Gates of the first recurrent layer over the last test window of a fitted forecaster.

    The layer is fed what it reads in a forecast: the window after every step the model takes
    before it (a window on its own level, the trend beside it, a series' vector), caught as
    the model forecasts from the last one-step test origin. Of an ensemble, ``member``
    (1-based) is shown.

    Returns:
        ``cell`` (lstm or gru), ``index`` (the window's dates or rows), ``series`` (the target
        over the window, original units), ``inputs`` (T, F: what the layer read), ``member``
        and ``members``, and ``gates``: name -> (T, H) array.
    """
    members = trained_parts(f.predictor_.net)
    if not 1 <= member <= len(members):
        raise RunError(f"--member must be 1 to {len(members)} for this run; got {member}.")
    layer = _first_recurrent(members[member - 1])
    p, group = f.predictor_, f.usable_[0]  # with many series, the first one trained on
    data, split = f.data_.series(group), f.splits_[group]
    if split.n_test == 0:
        raise RunError("This run has no test part; gates shows a test window.")
    n = len(data.frame)
    values, at = p.padded(p.scaled(data), np.array([n - 1]))  # the last one-step origin
    window = values[at[0] - p.lookback : at[0]][:, p.inputs][None]  # (1, L, F_in)
    seen: list[np.ndarray] = []
    hook = layer.rnn.register_forward_pre_hook(
        lambda module, args: seen.append(args[0].detach().cpu().double().numpy())
    )
    try:
        p.run(window, group)
    finally:
        hook.remove()
    x = seen[0]  # (1, T, F): under recursion the first step's, the window's own
    rows = x.shape[1]
    if rows > n - 1:
        raise RunError("The last test window starts before the series; gates needs a longer one.")
    ref = from_torch(layer.rnn)
    ref.forward(x)
    gates = {k: v[0] for k, v in ref.gates_of().items() if k in SHOWN[layer.cell]}
    shown = slice(n - 1 - rows, n - 1)
    return {
        "cell": layer.cell,
        "index": data.frame.index[shown],
        "series": data.frame.iloc[shown, p.targets[0]].to_numpy(),
        "target": data.targets[0],
        "inputs": x[0],
        "member": member,
        "members": len(members),
        "gates": gates,
    }


def _first_recurrent(net) -> RecurrentLayer:
    stack = next(m for m in net.modules() if isinstance(m, StackNet))
    block = stack.blocks[0]
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
        + (f", member {result['member']} of {result['members']}" if result["members"] > 1 else "")
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
