"""The content of the HTML reports (see :mod:`rnncast.reports.html` for the page itself)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rnncast.evaluation.metrics import METRICS
from rnncast.reports import html
from rnncast.reports.terminal import (
    LABELS,
    LEGEND,
    NAMES,
    NO_TEST,
    TIE_NOTE,
    leaderboard_columns,
    model_name,
    verdict,
)

if TYPE_CHECKING:
    from rnncast.forecasting.forecaster import Forecaster
    from rnncast.studies.compare import Comparison


def fit_page(f: Forecaster, run_dir: Path) -> str:
    """The report of one fitted run whose plots are already in ``run_dir``: the verdict and
    the forecast first, then the numbers, then what went in."""
    name, d = model_name(f.config_), f.data_

    def plot(file: str, alt: str) -> str:
        return html.image(run_dir / file, alt) if (run_dir / file).exists() else ""

    sections = []
    if f.metrics_ and f.metrics_.get("test"):
        sections.append(
            html.section(
                "Verdict",
                html.paragraphs(verdict(f.metrics_, name), "verdict"),
                html.paragraphs(interval_lines(f.metrics_)),
            )
        )
    else:  # the report lies in the run directory, which may move: RUN names it
        said = NO_TEST.format(run="RUN")
        sections.append(html.section("Verdict", html.paragraphs([said], "verdict")))
    sections.append(html.section("Forecast", plot("forecast.png", "The forecast")))
    if f.metrics_ and f.metrics_.get("test"):
        sections.append(
            html.section(
                "Test metrics (original units)",
                metrics_html(f.metrics_, name),
                html.paragraphs([LEGEND] + _known_lines(f.metrics_)),
            )
        )
    sections += [
        html.section(
            "Actual and predicted",
            plot("fit.png", "Actual and predicted"),
            plot("loss.png", "Training history"),
        ),
        html.section("Data", html.key_values(data_summary(f))),
        html.section("Configuration", html.key_values(f.config_.to_dict().items())),
    ]
    subtitle = f"{', '.join(d.targets)} · {source_text(f)} · {_now()}"
    return html.page(f"{name} forecast of {', '.join(d.targets)}", subtitle, sections)


def data_summary(f: Forecaster) -> list[tuple[str, Any]]:
    d, s = f.data_, f.split_
    first, last = d.first_last()
    rows = [("source", source_text(f)), ("rows", d.n_rows)]
    if d.ids:
        n = d.n_series - len(d.reference)
        rows += [("series", f"{len(f.usable_)} of {n} used (column {d.id_column!r})")]
        if d.reference:
            rows += [("reference series (learned from only)", len(d.reference))]
    if d.date:
        rows += [("dates", f"{first.date()} to {last.date()}"), ("frequency", d.freq)]
    rows += [
        ("target", ", ".join(d.targets)),
        ("features", ", ".join(d.features) or "-"),
        ("missing values filled", d.missing_filled),
        ("rows dropped", d.rows_dropped),
        ("split (train / validation / test rows)", f"{s.n_train} / {s.n_val} / {s.n_test}"),
        ("season", f.season_),
    ]
    return rows + [("note", note) for note in d.notes]


def _span(index) -> str:
    """``first to last (n rows)`` of a fold's test rows (dates as dates)."""
    first, last = (getattr(v, "date", lambda v=v: v)() for v in (index[0], index[-1]))
    return f"{first} to {last} ({len(index)} rows)"


def source_text(f: Forecaster) -> str:
    path = f.source_.get("path")
    return Path(path).name if path else f"a {f.source_.get('kind', 'DataFrame')} in memory"


def metrics_html(metrics: dict, name: str) -> str:
    head = ["mode", "forecaster", *(m.upper() for m in METRICS)]
    rows = []
    for mode, label in LABELS.items():
        block = metrics["test"].get(mode)
        if block is None:
            continue
        for who in NAMES:
            cells = [label if who == "model" else "", name if who == "model" else NAMES[who]]
            rows.append(
                (cells + [block[who][m] for m in METRICS], "model" if who == "model" else "")
            )
    return html.table(head, rows)


def _known_lines(metrics: dict) -> list[str]:
    note = metrics.get("known_inputs")
    return [f"In both modes the {note}."] if note else []


def interval_lines(metrics: dict) -> list[str]:
    lines = quantile_lines(metrics)
    iv = metrics.get("interval")
    if not iv:
        return lines
    lines.append(f"{iv['level']:.0%} prediction interval by {iv['method']}.")
    for mode in ("one_step", "recursive"):
        s = iv.get(mode)
        if s and s["coverage"] is not None:
            width = f"; mean width {s['width']:.4g}" if s["width"] is not None else ""
            lines.append(
                f"{LABELS[mode]}: covers {s['coverage']:.1f}% of {s['points']} test points{width}."
            )
    return lines


def quantile_lines(metrics: dict) -> list[str]:
    """What the quantile forecasts scored on the test part (one-step mode), in words."""
    qs = metrics.get("quantiles")
    if not qs or qs["one_step"]["coverage"] is None:
        return []
    s, levels = qs["one_step"], qs["levels"]
    below = ", ".join(f"{b:.1f}% below q{q:g}" for q, b in zip(levels, s["below"], strict=True))
    pooled = f" pooled over {qs['series']} series" if qs.get("series") else ""
    width = f", mean width {s['width']:.4g}" if s["width"] is not None else ""
    pinball = f"; mean pinball loss {s['pinball']:.4g}" if s["pinball"] is not None else ""
    return [
        f"Quantiles {', '.join(f'{q:g}' for q in levels)} ({qs['method']}), one-step mode"
        f"{pooled}: the {qs['nominal']:g}% interval from q{levels[0]:g} to q{levels[-1]:g} "
        f"covers {s['coverage']:.1f}% of {s['points']} test points{width}; {below} (ideally "
        f"each quantile's own share){pinball}."
    ]


def compare_page(result: Comparison, out: Path, title: str) -> str:
    """The report of a comparison or backtest whose plots are already in ``out``."""
    board = result.leaderboard
    (ranked, stem), *others = leaderboard_columns(result.rank_by)
    head = ["rank", "model", "kind", f"{ranked} mean", "sd", *(label for label, _ in others)]
    head += ["params", "train s", "samples"]
    rows = []
    for name, row in board.iterrows():
        cells = [
            f"{row['rank']}{' ≈' if row['tied_with_best'] else ''}",
            name,
            row["kind"],
            row[f"{stem}_mean"],
            row[f"{stem}_std"],
            *(row[f"{other}_mean"] for _, other in others),
            int(row["params"]) or "-",
            round(row["train_seconds"], 2) if row["kind"] == "model" else "-",
            row["samples"],
        ]
        css = "best" if row["tied_with_best"] else ("model" if row["kind"] == "model" else "")
        rows.append((cells, css))
    f = result.fitted[0]
    plots = [
        html.image(out / p, p) for p in ("leaderboard.png", "backtest.png") if (out / p).exists()
    ]
    data = [("source", result.source)] + data_summary(f)[1:5]
    if result.fold_paths:  # a backtest: the folds, not the first fold's rows
        tests = {p["fold"]: p["index"] for p in result.fold_paths}
        data = [(k, v) for k, v in data if k not in ("rows", "dates")]
        data += [("folds", len(tests))]
        series = result.fold_paths[0].get("series")  # many series: the one plotted
        which = f" of {series}" if series is not None else ""
        data += [(f"fold {i} test rows{which}", _span(t)) for i, t in sorted(tests.items())]
    settings = [(k, v) for k, v in f.config_.to_dict().items() if k not in ("model", "seed")]
    sections = [
        html.section(
            "Leaderboard",
            html.paragraphs(result.verdict(), "verdict"),
            html.table(head, rows),
            html.paragraphs([TIE_NOTE]),
        ),
        html.section("Plots", *plots),
        html.section("Data", html.key_values(data)),
        html.section("Settings shared by every model", html.key_values(settings)),
    ]
    return html.page(title, f"{', '.join(f.data_.targets)} · {result.source} · {_now()}", sections)


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M")


def explore_page(result, out: Path, source: str) -> str:
    """The report of ``rnncast explore``."""
    summary = result.summary()
    facts = [
        ("source", source),
        ("rows", summary["rows"]),
        ("start", summary["start"]),
        ("end", summary["end"]),
        ("frequency", summary["frequency"] or "-"),
        ("season", summary["season"]),
        ("target", summary["target"]),
    ]
    missing = [(c, n) for c, n in summary["missing"].items()]
    sections = [
        html.section("What the data looks like", html.paragraphs(result.findings(), "verdict")),
        html.section("Every numeric column", html.image(out / "columns.png", "columns")),
        html.section(f"Autocorrelation of {result.target}", html.image(out / "acf.png", "acf")),
        html.section("Facts", html.key_values(facts)),
        html.section("Missing values per column", html.key_values(missing)),
        html.section("Notes", html.paragraphs(result.notes or ["-"])),
    ]
    return html.page(f"Exploring {source}", f"{summary['target']} · {_now()}", sections)
