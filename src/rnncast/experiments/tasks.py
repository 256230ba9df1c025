"""Synthetic long-memory tasks whose answer is known.

>>> x, y = adding_problem(2, steps=6, seed=0)
>>> x.shape, y.shape, x[..., 1].sum(axis=1).tolist()
((2, 6, 2), (2,), [2.0, 2.0])
"""

from __future__ import annotations

import numpy as np


def adding_problem(batch: int, steps: int, seed: int | None = None):
    """Hochreiter and Schmidhuber's adding problem: channel 0 holds uniform values, channel 1
    marks two of them (one in each half); the target is the sum of the two marked values.

    Returns:
        x (B, T, 2) and y (B,), float64.
    """
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, size=(batch, steps))
    marks = np.zeros((batch, steps))
    half = max(1, steps // 2)
    first = rng.integers(0, half, size=batch)
    second = rng.integers(half, steps, size=batch) if steps > 1 else first
    rows = np.arange(batch)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = values[rows, first] + values[rows, second] * (second != first)
    return np.stack([values, marks], axis=-1), y


def recall_problem(batch: int, steps: int, lag: int, seed: int | None = None):
    """Random signs; the target is the sign seen ``lag`` steps before the end (lag 1 is the
    last input), so the model must carry one bit across ``lag - 1`` distracting steps.

    Returns:
        x (B, T, 1) of ±1 and y (B,) in {0, 1}.
    """
    if not 1 <= lag <= steps:
        raise ValueError(f"lag must be in [1, {steps}], got {lag}.")
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], size=(batch, steps, 1))
    return x, (x[:, steps - lag, 0] > 0).astype(np.float64)
