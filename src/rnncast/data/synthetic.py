"""Synthetic series to learn from: random walks with drift in logs.

A global network trained on few short series without a season sees few windows, and learns
from them whatever they happen to show (on Tourism yearly: that growth resumes after every
fall). Random walks with drift teach the plain lesson of such data instead: the level goes on
from where it is, with a modest trend and noise. They join a fit as reference series (see
:func:`rnncast.data.load.load`), never forecast nor scored. docs/accuracy.md measures them.

>>> walks = random_walks(3, ("y",), "id", "date", pd.Timestamp("2020-01-01"), "YS")
>>> walks["id"].unique().tolist()
['random-walk-000', 'random-walk-001', 'random-walk-002']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rnncast.errors import ConfigError

NAME = "random-walks"
DEFAULT_COUNT = 200  # chosen on the training parts of Tourism and M3 yearly (docs/accuracy.md)
MAX_COUNT = 100_000


def random_walks(
    n: int,
    targets: Sequence[str],
    id: str,
    date: str | None,
    last: pd.Timestamp | int,
    freq: str | None,
    seed: int = 0,
) -> pd.DataFrame:
    """``n`` series in long format (the ``id`` column, the ``date`` column ending at ``last``
    in steps of ``freq`` when there is one, each target), each a walk of 15 to 45 steps
    whose log changes have a drift of 4 % ± 4 % a step and a noise of 2 % to 15 %; the same
    series for the same ``seed``."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n):
        length = int(rng.integers(15, 46))
        frame = {id: f"random-walk-{k:03d}"}
        if date is not None:
            frame[date] = pd.date_range(end=last, periods=length, freq=freq)
        for name in targets:
            drift, noise = rng.normal(0.04, 0.04), rng.uniform(0.02, 0.15)
            level = np.cumsum(drift + rng.normal(0.0, noise, length))
            frame[name] = 1000.0 * np.exp(level - level[0] + rng.normal(0.0, 0.3))
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


def walks_asked(reference) -> int | None:
    """How many random walks ``reference`` asks for (``"random-walks"`` or
    ``"random-walks:N"``), or None when it names something else (a file, a table)."""
    if not isinstance(reference, str) or reference.split(":")[0].strip() != NAME:
        return None
    _, _, count = reference.partition(":")
    if not count.strip():
        return DEFAULT_COUNT
    try:
        n = int(count)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_COUNT:
        raise ConfigError(
            f"--reference {reference}: the number of random walks must be a whole number "
            f"from 1 to {MAX_COUNT}, e.g. {NAME}:{DEFAULT_COUNT}."
        )
    return n
