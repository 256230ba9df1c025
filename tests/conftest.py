"""Shared fixtures: tiny settings, synthetic series with known answers, bundled real data."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import settings

# In CI the property tests draw the same examples every run, so a failure there reproduces;
# elsewhere they draw new ones each time and keep exploring.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

torch.set_num_threads(1)  # tiny models: threads cost more than they give, and runs stay stable


@pytest.fixture
def seasonal_frame() -> pd.DataFrame:
    """A noiseless monthly sine with period 12 around 100: 120 rows, answer known."""
    t = np.arange(120)
    return pd.DataFrame(
        {
            "date": pd.date_range("2010-01-01", periods=120, freq="MS"),
            "y": 100 + 10 * np.sin(2 * np.pi * t / 12),
        }
    )


@pytest.fixture
def daily_frame() -> pd.DataFrame:
    """A daily random walk with one feature: 200 rows."""
    rng = np.random.default_rng(0)
    y = 50 + np.cumsum(rng.normal(size=200))
    return pd.DataFrame(
        {
            "date": pd.date_range("2023-01-01", periods=200, freq="D").strftime("%Y-%m-%d"),
            "y": y,
            "x": np.roll(y, 1) + rng.normal(scale=0.1, size=200),
        }
    )


@pytest.fixture
def csv_file(tmp_path, daily_frame) -> str:
    path = tmp_path / "series.csv"
    daily_frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture(scope="session")
def panel_frame() -> pd.DataFrame:
    """A generated panel of 300 short monthly series in long format: sines of different
    level, amplitude and phase with a little noise; every 50th series is too short to use."""
    rng = np.random.default_rng(42)
    frames = []
    for k in range(300):
        n = 10 if k % 50 == 0 else 48
        t = np.arange(n)
        level, amp, phase = rng.uniform(20, 200), rng.uniform(0.1, 0.3), rng.uniform(0, 6.3)
        y = level * (1 + amp * np.sin(2 * np.pi * t / 12 + phase)) + rng.normal(scale=0.2, size=n)
        frames.append(
            pd.DataFrame(
                {
                    "item": f"item{k:03d}",
                    "month": pd.date_range("2018-01-01", periods=n, freq="MS"),
                    "sales": y,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sample(frac=1, random_state=0)  # shuffled rows
