"""Plain-words and tabular summaries of a run for the terminal.

>>> m = {"test": {"one_step": {"model": {"rmse": 2.0}, "naive": {"rmse": 1.0},
...                            "seasonal_naive": {"rmse": 3.0}},
...               "recursive": {"model": {"rmse": 5.0}, "naive": {"rmse": 4.0},
...                             "seasonal_naive": {"rmse": 6.0}}}}
>>> print(verdict(m, "LSTM")[0])  # doctest: +ELLIPSIS
One-step: the LSTM does NOT beat the naive forecast (RMSE 2 vs 1): ...
"""

from __future__ import annotations

from typing import Any

from rich.table import Table

from rnncast.config import AUTO, SIMPLE_MODELS
from rnncast.evaluation.metrics import METRICS

LABELS = {"one_step": "one-step", "recursive": "recursive"}
NO_TEST = (
    "No test part: no rows were held out after the training and validation parts, so nothing "
    "was scored against the baselines; once newer observations exist, score them with "
    "rnncast evaluate {run} --data NEWER.csv"
)
LEGEND = (
    "one-step: each forecast is fed the true history; recursive: one forecast over the whole "
    "test part, fed its own predictions. naive: last observed value; seasonal naive: the value "
    "one season earlier."
)
NAMES = {"model": "model", "naive": "naive", "seasonal_naive": "seasonal naive"}


def model_name(cfg) -> str:
    """A short name of a run's model: LSTM(64,32) for the simple models, else the spec.

    >>> from rnncast.config import FitConfig
    >>> model_name(FitConfig(model="lstm", units=(64, 32))), model_name(FitConfig(model="bilstm"))
    ('LSTM(64,32)', 'bilstm')
    >>> model_name(FitConfig())  # the recipe
    'median of 5 LSTM(16)'
    """
    if cfg.model in (*SIMPLE_MODELS, AUTO):
        name = f"{cfg.cell.upper()}({','.join(str(u) for u in cfg.units)})"
    else:
        name = cfg.model if len(cfg.model) <= 60 else cfg.model[:57] + "..."
    if cfg.members > 1:
        name = f"median of {cfg.members} {name}"
        varied = [
            f"{what} {'/'.join(map(str, values))}"
            for what, values in (("lookbacks", cfg.lookbacks), ("losses", cfg.losses))
            if values
        ]
        name += f" over {' and '.join(varied)}" if varied else ""
    strategy = cfg.resolved_strategy()
    return name if strategy == "direct" or cfg.max_step == 1 else f"{name} [{strategy}]"


def steps_table(metrics: dict[str, Any], name: str) -> Table | None:
    """RMSE per forecast step (one-step mode) for the model and the baselines."""
    block = metrics["test"]["one_step"]
    if len(block.get("by_step", [])) < 2:
        return None
    table = Table(title="One-step mode, RMSE per forecast step", title_justify="left")
    table.add_column("step", justify="right")
    for who in NAMES:
        table.add_column(name if who == "model" else NAMES[who], justify="right")
    for row in block["by_step"]:
        table.add_row(str(row["step"]), *(_fmt(row[who]["rmse"]) for who in NAMES))
    return table


def targets_table(metrics: dict[str, Any], name: str) -> Table | None:
    """One-step RMSE and MASE per target, when there are several."""
    per = metrics["test"]["one_step"].get("by_target")
    if not per:
        return None
    table = Table(title="One-step mode, per target (original units)", title_justify="left")
    table.add_column("target")
    for who in NAMES:
        label = name if who == "model" else NAMES[who]
        table.add_column(f"{label} RMSE", justify="right")
    table.add_column(f"{name} MASE", justify="right")
    for target, row in per.items():
        table.add_row(
            target, *(_fmt(row[who]["rmse"]) for who in NAMES), _fmt(row["model"]["mase"])
        )
    return table


def metrics_table(metrics: dict[str, Any], model_name: str) -> Table:
    """One row per mode and forecaster, every metric in original units."""
    caption = LEGEND
    if metrics["test"]["one_step"].get("by_target"):
        caption += " Several targets: each number is the mean over targets, each in its own units."
    table = Table(
        title="Test metrics, original units",
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    table.add_column("mode")
    table.add_column("forecaster")
    for name in METRICS:
        table.add_column(
            name.upper() + (" %" if name in ("mape", "smape") else ""), justify="right"
        )
    for mode, label in LABELS.items():
        block = metrics["test"].get(mode)
        if block is None:
            continue
        for who in NAMES:
            scores = block[who]
            name = model_name if who == "model" else NAMES[who]
            style = "bold" if who == "model" else None
            cells = [_fmt(scores.get(m)) for m in METRICS]
            table.add_row(label if who == "model" else "", name, *cells, style=style)
        table.add_section()
    return table


def verdict(metrics: dict[str, Any], model_name: str) -> list[str]:
    """Sentences saying whether the model beats the naive and seasonal-naive baselines."""
    lines = []
    for mode, label in (("one_step", "One-step"), ("recursive", "Recursive")):
        m = metrics["test"].get(mode)
        if m is None:
            continue
        model, naive, seasonal = (m[k]["rmse"] for k in ("model", "naive", "seasonal_naive"))
        if model >= naive:
            lines.append(
                f"{label}: the {model_name} does NOT beat the naive forecast (RMSE {_fmt(model)} "
                f"vs {_fmt(naive)}): predicting the last value would do better."
            )
            continue
        gain = 100 * (1 - model / naive)
        text = f"{label}: the {model_name} beats the naive forecast by {gain:.1f}% in RMSE"
        if model < seasonal:
            text += " and also beats the seasonal naive forecast."
        else:
            text += (
                f", but NOT the seasonal naive forecast (RMSE {_fmt(model)} vs {_fmt(seasonal)})."
            )
        lines.append(text)
    return lines


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


TIE_NOTE = (
    "≈ marks entries whose difference from the best is smaller than their spread (one "
    "standard deviation each)."
)


def leaderboard_columns(rank_by: tuple[str, str]) -> list[tuple[str, str]]:
    """(heading, column stem) of a leaderboard's scores: the ranked one, the same metric in
    the other mode, and a scale-free one (one-step MASE, or sMAPE when ranked by MASE)."""
    mode, metric = rank_by
    other = "recursive" if mode == "one_step" else "one_step"
    extra = "smape" if metric == "mase" else "mase"
    stems = [(mode, metric), (other, metric), ("one_step", extra)]
    return [(f"{m.replace('_', '-')} {x.upper()}", f"{m}_{x}") for m, x in stems]


def leaderboard_markdown(board, rank_by: tuple[str, str]) -> str:
    """The leaderboard as a Markdown table: mean ± standard deviation over seeds (and folds).

    Rows tied with the best (difference smaller than their spread) carry a '≈', explained
    under the table.
    """
    scores = leaderboard_columns(rank_by)
    head = ["rank", "model", "kind", *(label for label, _ in scores), "params", "train s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in board.iterrows():
        cells = [
            f"{row['rank']}{' ≈' if row['tied_with_best'] else ''}",
            str(name),
            row["kind"],
            *(_pm(row, stem) for _, stem in scores),
            f"{int(row['params']):,}" if row["params"] else "-",
            f"{row['train_seconds']:.2f}" if row["kind"] == "model" else "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if board["tied_with_best"].any():
        lines += ["", TIE_NOTE]
    return "\n".join(lines)


def _pm(row, key: str) -> str:
    mean, std = row[f"{key}_mean"], row[f"{key}_std"]
    if mean != mean:  # NaN: not scored in this mode
        return "-"
    return _fmt(mean) + (f" ± {_fmt(std)}" if std else "")
