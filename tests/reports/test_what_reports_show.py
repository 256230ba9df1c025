"""Reports say what they show: the references drawn beside a forecast, the legend of a tie,
and notes that name only options the command has (issue 19)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rnncast import Forecaster, datasets
from rnncast.reports import plots
from rnncast.reports.terminal import TIE_NOTE, leaderboard_markdown
from rnncast.studies.explore import explore

TINY = dict(model="gru", units=4, lookback=12, epochs=1, seed=0)


def _labels(fig) -> dict[str, object]:
    return {line.get_label(): line for line in fig.axes[0].get_lines()}


def test_the_forecast_plot_draws_seasonal_naive_for_seasonal_data():
    data = datasets.load("airline")
    f = Forecaster(**TINY, horizon=3).fit(data, target="passengers")
    fig = plots.forecast_figure(f, f.forecast(15))
    lines = _labels(fig)
    (seasonal,) = [line for label, line in lines.items() if label.startswith("seasonal naive")]
    last_season = data["passengers"].to_numpy()[-12:]
    np.testing.assert_array_equal(seasonal.get_ydata(), np.r_[last_season, last_season[:3]])
    assert "forecast, 15 steps" in lines
    plt.close(fig)
    flat = pd.DataFrame({"y": np.random.default_rng(0).normal(size=200).cumsum()})
    g = Forecaster(**TINY, horizon=1).fit(flat, target="y")  # no dates: no season
    fig = plots.forecast_figure(g, g.forecast(1))
    assert "forecast, 1 step" in _labels(fig)
    assert not any(label.startswith("seasonal naive") for label in _labels(fig))
    plt.close(fig)


def test_a_tie_in_the_leaderboard_is_explained_under_it():
    board = pd.DataFrame(
        {
            "rank": [1, 2],
            "kind": ["model", "baseline"],
            "tied_with_best": [False, True],
            "params": [10, 0],
            "train_seconds": [1.0, 0.0],
            **{
                f"{k}_{s}": [1.0, 1.1]
                for k in ("one_step_rmse", "one_step_mase", "recursive_rmse")
                for s in ("mean", "std")
            },
        },
        index=["gru", "naive"],
    )
    text = leaderboard_markdown(board, ("one_step", "rmse"))
    assert "2 ≈" in text and text.endswith(TIE_NOTE)
    untied = leaderboard_markdown(board.assign(tied_with_best=False), ("one_step", "rmse"))
    assert TIE_NOTE not in untied


def test_explore_notes_never_name_an_option_it_does_not_have():
    data = datasets.load("electricity").copy()
    data.loc[[5, 9], "total"] = np.nan
    result = explore(data)
    assert not any("--missing" in note for note in result.notes)
    assert result.missing["total"] == 2  # counted in its own line instead


def test_the_leaderboard_title_names_only_the_kinds_it_shows():
    assert plots.leaderboard_title({"model", "baseline"}) == "Leaderboard (grey: baselines)"
    both = plots.leaderboard_title({"model", "baseline", "ensemble"})
    assert both == "Leaderboard (grey: baselines, purple: ensemble)"
    assert plots.leaderboard_title({"model"}) == "Leaderboard"


def test_a_backtest_report_describes_every_fold(tmp_path):
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    out = tmp_path / "bt"
    args = ["backtest", "airline", "--target", "passengers", "--model", "gru", "--units", "4"]
    args += ["--folds", "3", "--test-size", "12", "--epochs", "1"]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    for k, year in enumerate((1958, 1959, 1960)):
        assert f"fold {k} test rows" in page and f"{year}-01-01 to {year}-12-01 (12 rows)" in page
    assert "split (train / validation / test rows)" not in page  # the first fold's alone


def test_a_run_without_a_test_part_says_nothing_was_scored_and_draws_no_empty_legend(tmp_path):
    # --test-size 0 trains on every row (a model for production): its plots have an empty
    # test panel, whose legend matplotlib warns about (the suite fails on warnings raised in
    # rnncast's code), and the summary must say that no score was made, not print none
    from io import StringIO

    from rich.console import Console

    from rnncast.config import FitConfig
    from rnncast.jobs import fit_and_report

    console = Console(file=StringIO(), width=200)
    run = tmp_path / "run"
    cfg = FitConfig(**{**TINY, "horizon": 3, "test_size": "0"})
    fit_and_report(
        cfg,
        datasets.path("airline"),
        "passengers",
        None,
        None,
        str(run),
        console=console,
        progress=False,
    )
    said = console.file.getvalue()
    assert "No test part" in said and "rnncast evaluate" in said, said
    assert "No test part" in (run / "report.html").read_text(encoding="utf-8")
