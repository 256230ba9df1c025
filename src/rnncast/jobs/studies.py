"""Study jobs: compare and backtest, explore, the experiments inside the cells."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from rnncast.persistence.files import atomic_directory, check_destination
from rnncast.reports import pages, plots
from rnncast.reports.terminal import (
    leaderboard_markdown,
)
from rnncast.studies.compare import compare_models
from rnncast.studies.explore import explore


def run_compare(
    data: Any,
    target: str | None,
    models: list[str],
    settings: dict,
    out_dir: str,
    date: str | None = None,
    features: str | None = None,
    overwrite: bool = False,
    console: Console | None = None,
    progress: bool = True,
    **options: Any,
):
    """Compare models (see :func:`rnncast.studies.compare.compare_models`), print the
    leaderboard and write ``leaderboard.csv``, ``leaderboard.md``, ``leaderboard.png``,
    ``samples.csv`` and, with many series, ``series.csv`` (every series' scores)."""

    console = console or Console()
    check_destination(out_dir, overwrite)
    on_run = (
        (lambda text: console.print(f"  training {text}", highlight=False)) if progress else None
    )
    result = compare_models(
        data,
        target,
        models,
        settings,
        date=date,
        features=_names(features),
        on_run=on_run,
        **options,
    )
    table = leaderboard_markdown(result.leaderboard, result.rank_by)
    console.print(table, highlight=False, soft_wrap=True)
    for line in result.verdict():
        console.print(line, highlight=False)
    with atomic_directory(out_dir, overwrite) as tmp:
        result.leaderboard.to_csv(tmp / "leaderboard.csv")
        result.records.to_csv(tmp / "samples.csv", index=False)
        if result.series is not None:
            result.series.to_csv(tmp / "series.csv", index=False)
        (tmp / "leaderboard.md").write_text(table + "\n\n" + "\n".join(result.verdict()) + "\n")
        plots.plot_leaderboard(result.leaderboard, result.rank_by, tmp / "leaderboard.png")
        if options.get("folds"):
            _write_backtest(result, tmp)
        title = "Backtest" if len(models) == 1 and options.get("folds") else "Model comparison"
        (tmp / "report.html").write_text(pages.compare_page(result, tmp, title), encoding="utf-8")
    console.print(
        f"Wrote {out_dir}: " + ", ".join(sorted(p.name for p in Path(out_dir).iterdir())),
        highlight=False,
    )
    return result


def _write_backtest(result, out: Path) -> None:
    rec = result.records
    folds = rec[rec["seed"] == 0].drop(columns=["seed"])
    folds.to_csv(out / "backtest.csv", index=False)
    paths = [p for p in result.fold_paths if p["model"] == result.fitted[0].config_.model]
    series = paths[0]["series"] if paths else None  # many series: the first scored one's
    if series is None and result.series is not None:  # many series, none free-running
        return
    paths = [p for p in paths if p["series"] == series]
    target = result.fitted[0].data_.targets[0]
    frame = _full_frame(result, series)
    plots.plot_backtest(frame, paths, target, out / "backtest.png", series)


def _full_frame(result, series: str | None):
    """The whole prepared series in its own zone: the last fold's data reaches the end."""
    data = result.fitted[-1].data_
    if series is not None:
        data = data.series(data.ids.index(series))
    return data.frame.set_axis(data.local(data.frame.index))


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


# -- explore ---------------------------------------------------------------------------------
def run_explore(
    data: Any,
    out_dir: str,
    date: str | None = None,
    target: str | None = None,
    overwrite: bool = False,
    console: Console | None = None,
):
    """Explore ``data``, print the findings and write plots, ``summary.json`` and a report."""
    console = console or Console()
    check_destination(out_dir, overwrite)
    result = explore(data, date=date, target=target)
    for line in result.findings():
        console.print(line, highlight=False)
    source = Path(data).name if isinstance(data, str) else "a DataFrame"
    with atomic_directory(out_dir, overwrite) as tmp:
        plots.plot_columns(result.frame, result.missing, tmp / "columns.png")
        plots.plot_acf(result.acf, len(result.frame), result.season, result.target, tmp / "acf.png")
        (tmp / "summary.json").write_text(json.dumps(result.summary(), indent=2) + "\n")
        (tmp / "report.html").write_text(pages.explore_page(result, tmp, source), encoding="utf-8")
    console.print(
        f"Wrote {out_dir}/report.html (columns.png, acf.png, summary.json)", highlight=False
    )
    return result


# -- experiments -----------------------------------------------------------------------------
def run_experiment(
    module, settings, out_dir: str, overwrite: bool, console: Console, name: str
) -> list[dict]:
    """Run ``module.run(settings)`` and write its CSV and plot atomically into ``out_dir``."""
    check_destination(out_dir, overwrite)
    console.print(f"Running the {name} experiment ({settings}) ...", highlight=False)
    start = time.perf_counter()
    rows = module.run(settings)
    with atomic_directory(out_dir, overwrite) as tmp:
        module.write(rows, tmp)
    console.print(
        f"Done in {time.perf_counter() - start:.0f} s: {out_dir}/{name}.png and {name}.csv",
        highlight=False,
    )
    return rows
