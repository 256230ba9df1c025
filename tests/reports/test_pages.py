"""The HTML reports open in a real headless browser with no console errors and show plots."""

import os
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from rnncast import Forecaster, datasets, jobs
from rnncast.studies.compare import compare_models

CHROMIUM = shutil.which("chromium")
# CI installs Debian's chromium (.ci/run); elsewhere the browser test needs it too.
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)


def screenshot(page: Path, out: Path, height: int = 2400) -> tuple[np.ndarray, str]:
    """Render ``page`` headless; return the screenshot's pixels and the browser's log."""
    assert CHROMIUM is not None, "chromium must be installed for this test"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={out.parent / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            f"--window-size=1200,{height}",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return matplotlib.image.imread(out), done.stderr


def red_pixels(pixels: np.ndarray) -> int:
    """Pixels of the forecast's red (#d62728): there only if a plot was drawn."""
    rgb = pixels[..., :3]
    return int(np.sum(np.all(np.abs(rgb - np.array([214, 39, 40]) / 255) < 0.08, axis=-1)))


@pytest.fixture(scope="module")
def fitted_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    f = Forecaster(units=8, lookback=24, epochs=5, test_size=24, val_size=36, interval=0.8)
    f.fit(datasets.path("electricity"), target="total")
    jobs.save_run(f, str(out), forecast_steps=12)
    return out


def test_fit_report_is_self_contained(fitted_run):
    text = (fitted_run / "report.html").read_text()
    assert text.count("data:image/png;base64,") == 3
    assert "http" not in text and "<script" not in text  # nothing to fetch, nothing to run
    for words in (
        "Verdict",
        "naive",
        "seasonal naive",
        "one-step",
        "recursive",
        "80% prediction interval",
        "electricity.csv",
        "split (train / validation",
    ):
        assert words in text


@needs_browser
def test_fit_report_renders_in_a_headless_browser(fitted_run, tmp_path):
    pixels, log = screenshot(fitted_run / "report.html", tmp_path / "fit.png")
    assert ":CONSOLE" not in log, log
    assert red_pixels(pixels) > 500  # the forecast plot is on screen


@needs_browser
def test_compare_report_renders(tmp_path, seasonal_frame):
    from rnncast.jobs import run_compare

    out = tmp_path / "cmp"
    run_compare(
        seasonal_frame,
        "y",
        ["dense", "gru"],
        {"units": (4,), "lookback": 12, "epochs": 2, "test_size": 12, "val_size": 12},
        str(out),
        progress=False,
        repeats=1,
    )
    text = (out / "report.html").read_text()
    assert "Leaderboard" in text and "exponential smoothing" in text
    pixels, log = screenshot(out / "report.html", tmp_path / "cmp.png", height=1600)
    assert ":CONSOLE" not in log, log
    assert pixels[..., :3].std() > 0.05  # not a blank page


def test_comparison_object_is_reported(seasonal_frame):
    result = compare_models(
        seasonal_frame,
        "y",
        ["dense"],
        {"units": (4,), "lookback": 12, "epochs": 1, "test_size": 12, "val_size": 0},
    )
    assert result.leaderboard.loc["dense", "kind"] == "model"


@needs_browser
def test_explore_report_renders(tmp_path):
    from rnncast.jobs import run_explore

    out = tmp_path / "ex"
    run_explore(datasets.path("bitcoin"), str(out), target="close")
    pixels, log = screenshot(out / "report.html", tmp_path / "ex.png", height=1600)
    assert ":CONSOLE" not in log, log
    assert pixels[..., :3].std() > 0.05
