"""A look at the data before any model: every numeric column over time, missing values, the
frequency and season, the target's autocorrelation, and trend and seasonality in plain words.

Trend and seasonal strength follow Wang, Smith and Hyndman (2006): from an STL decomposition
``y = T + S + R``, strength of trend ``max(0, 1 - var(R) / var(T + R))`` and of seasonality
``max(0, 1 - var(R) / var(S + R))``; 0 is none, above 0.6 is strong.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rnncast.data.io import read_table
from rnncast.data.prepare import prepare
from rnncast.errors import DataError
from rnncast.evaluation.baselines import infer_season


@dataclass
class Exploration:
    """What ``explore`` found; ``frame`` holds the numeric columns, filled for plotting."""

    frame: pd.DataFrame
    target: str
    date: str | None
    freq: str | None
    season: int
    missing: dict[str, int]
    acf: np.ndarray
    trend_strength: float | None
    seasonal_strength: float | None
    trend_direction: str
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-ready findings."""
        index = self.frame.index
        return {
            "rows": len(self.frame),
            "columns": list(self.frame.columns),
            "target": self.target,
            "date": self.date,
            "start": str(index[0]) if len(index) else None,
            "end": str(index[-1]) if len(index) else None,
            "frequency": self.freq,
            "season": self.season,
            "missing": self.missing,
            "acf": [float(a) for a in self.acf],
            "trend_strength": self.trend_strength,
            "seasonal_strength": self.seasonal_strength,
            "trend_direction": self.trend_direction,
            "notes": self.notes,
            "findings": self.findings(),
        }

    def findings(self) -> list[str]:
        """Plain-words sentences about the target."""
        lines = [
            f"{len(self.frame)} rows"
            + (f", frequency {self.freq}" if self.freq else "")
            + f"; season {self.season}"
            + (" (inferred)" if self.freq else "")
            + "."
        ]
        total = sum(self.missing.values())
        lines.append(
            f"{total} missing values"
            + (": " + ", ".join(f"{c} {n}" for c, n in self.missing.items() if n) if total else "")
            + "."
        )
        if self.trend_strength is not None:
            lines.append(
                f"{_level(self.trend_strength).capitalize()} {self.trend_direction} "
                f"trend in {self.target} (strength {self.trend_strength:.2f})."
            )
        if self.seasonal_strength is not None:
            lines.append(
                f"{_level(self.seasonal_strength).capitalize()} seasonality with period "
                f"{self.season} (strength {self.seasonal_strength:.2f})."
            )
        if len(self.acf) > 1 and self.acf[1] > 0.95 and (self.seasonal_strength or 0) < 0.4:
            lines.append(
                f"Lag-1 autocorrelation is {self.acf[1]:.2f}: the series behaves much "
                "like a random walk, so expect the naive forecast to be hard to beat."
            )
        return lines


def explore(data: Any, date: str | None = None, target: str | None = None) -> Exploration:
    """Examine ``data`` (path, DataFrame or Series); ``target`` defaults to the first numeric
    column."""
    raw = read_table(data)
    probe = prepare(raw, target=_numeric_columns(raw, date)[0], date=date, missing="drop")
    date = probe.date
    columns = _numeric_columns(raw, date)
    target = target or columns[0]
    if target not in columns:
        raise DataError(
            f"Column {target!r} is not a numeric column; choose one of {', '.join(columns)}."
        )
    missing = {c: int(pd.to_numeric(raw[c], errors="coerce").isna().sum()) for c in columns}
    data = prepare(
        raw, target=[c for c in columns if c != target] + [target], date=date, missing="interpolate"
    )
    season = infer_season(data.freq)
    y = data.frame[target].to_numpy()
    trend, seasonal, direction = _strengths(y, season)
    return Exploration(
        data.frame.set_axis(data.local(data.frame.index)),  # in the data's own zone
        target,
        date,
        data.freq,
        season,
        missing,
        _acf(y, season),
        trend,
        seasonal,
        direction,
        [n for n in probe.notes if "--missing" not in n],  # explore counts them itself
    )


def _numeric_columns(raw: pd.DataFrame, date: str | None) -> list[str]:
    columns = []
    for c in raw.columns:
        if c == date:
            continue
        values = pd.to_numeric(raw[c], errors="coerce")
        if values.notna().sum() >= max(1, 0.5 * raw[c].notna().sum()):
            columns.append(str(c))
    if not columns:
        raise DataError("No numeric column to explore; the data needs at least one.")
    return columns


def _acf(y: np.ndarray, season: int) -> np.ndarray:
    from statsmodels.tsa.stattools import acf

    lags = int(min(max(3 * season, 24), len(y) // 2))
    return acf(y, nlags=max(lags, 1), fft=True)


def _strengths(y: np.ndarray, season: int) -> tuple[float | None, float | None, str]:
    """Trend and seasonal strength from STL; a smooth trend alone when there is no season."""
    from statsmodels.tsa.seasonal import STL

    if len(y) < 8:
        return None, None, "flat"
    period = season if season > 1 and len(y) >= 2 * season + 1 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if period:
            parts = STL(y, period=period, robust=True).fit()
            t, s, r = parts.trend, parts.seasonal, parts.resid
        else:
            t = pd.Series(y).rolling(max(3, len(y) // 10), center=True, min_periods=1).mean()
            t, s = t.to_numpy(), np.zeros_like(y)
            r = y - t
    trend = _strength(r, t + r)
    seasonal = _strength(r, s + r) if period else None
    direction = "upward" if t[-1] > t[0] else "downward"
    return trend, seasonal, direction


def _strength(resid: np.ndarray, total: np.ndarray) -> float:
    var = np.var(total)
    return float(max(0.0, 1 - np.var(resid) / var)) if var > 0 else 0.0


def _level(strength: float) -> str:
    if strength >= 0.6:
        return "strong"
    if strength >= 0.3:
        return "moderate"
    return "weak" if strength > 0.1 else "no clear"
