"""A classical statistical baseline: exponential smoothing from statsmodels, fitted on the
training rows only, then run over the later rows with its parameters held fixed.

The model is additive Holt-Winters in state-space form: a damped trend, plus a seasonal
component when the training part holds at least two seasons.
"""

from __future__ import annotations

import warnings

import numpy as np

NAME = "exponential smoothing (statsmodels: damped trend, additive season)"


def ets_forecasts(
    y: np.ndarray,
    n_train: int,
    season: int,
    origins: np.ndarray,
    steps: list[int],
    recursive_start: int | None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """One-step-mode forecasts (N, S) at ``origins`` for ``steps``, and the recursive-mode
    forecast from ``recursive_start`` to the end, for one series ``y`` of shape (T,)."""
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    seasonal = season if season > 1 and n_train >= 2 * season + 2 else None
    model = ExponentialSmoothing(
        y[:n_train],
        trend=True,
        damped_trend=True,
        seasonal=seasonal,
        initialization_method="estimated",
    )
    with warnings.catch_warnings():  # convergence chatter from the optimiser
        warnings.simplefilter("ignore")
        fitted = model.fit(disp=False).apply(y)  # same parameters, state run over all rows
        one_step = _at_origins(fitted, origins, steps)
        recursive = None
        if recursive_start is not None:
            recursive = fitted.get_prediction(
                start=recursive_start, end=len(y) - 1, dynamic=True
            ).predicted_mean
    return one_step, recursive


def _at_origins(fitted, origins: np.ndarray, steps: list[int]) -> np.ndarray:
    if steps == [1]:  # one call: filtered one-step predictions are fed the true history
        return fitted.predict(start=origins[0], end=origins[-1])[:, None]
    out = np.empty((len(origins), len(steps)))
    leads = np.asarray(steps) - 1
    for k, t in enumerate(origins):
        path = fitted.get_prediction(start=t, end=t + steps[-1] - 1, dynamic=True)
        out[k] = np.asarray(path.predicted_mean)[leads]
    return out
