"""Do known-future inputs pay? Four ways to feed the bundled Chicago ridership data, side by
side, scored on the same test part in both modes beside the naive baselines.

    python benchmarks/known_inputs.py              # LSTM(32), 3 seeds each (about 5 min, 2 cores)
    python benchmarks/known_inputs.py --seeds 1    # a quicker look

The inputs compared (the target's own past is always an input):
  none        the ridership alone
  past        temperature, precipitation and home games as past covariates (known up to
              the forecast origin only)
  known       the same columns known ahead (a weather forecast and the game schedule)
  calendar    known columns, day-of-week and day-of-year calendar inputs (sine and cosine)
              and US public holidays
  one-hot     the same, but the day of week one-hot (seven 0/1 columns given as known
              columns): the measurement behind the calendar's sine/cosine encoding

Every variant has the same network and settings: a week ahead (--horizon 7, direct), four
weeks of history (--lookback 28), the last 20% as test and the 10% before as validation.
Prints one markdown table (means over seeds; ± the spread) for docs/data.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from rnncast import Forecaster, datasets

COLUMNS = ["temp_max", "precip", "home_games"]
VARIANTS = {
    "none": {},
    "past": {"features": COLUMNS},
    "known": {"known": COLUMNS},
    "known + calendar + holidays": {"known": COLUMNS, "calendar": "auto", "holidays": "US"},
    "known + one-hot weekday, day of year + holidays": {
        "known": COLUMNS + [f"weekday_{d}" for d in range(7)],
        "calendar": "doy",
        "holidays": "US",
    },
}
MODES = ("one_step", "recursive")
SETTINGS = dict(
    model="lstm", units=32, lookback=28, horizon=7, epochs=150, patience=15, lr=0.003, batch_size=32
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    data = datasets.load("chicago")
    weekday = np.asarray(pd.to_datetime(data["date"]).dt.day_of_week)
    for d in range(7):
        data[f"weekday_{d}"] = (weekday == d).astype(float)
    rows, baselines = [], None
    for name, inputs in VARIANTS.items():
        scores, seconds = [], 0.0
        for seed in range(args.seeds):
            start = time.perf_counter()
            f = Forecaster(**SETTINGS, seed=seed).fit(data, target="ridership", **inputs)
            seconds += time.perf_counter() - start
            test = f.metrics_["test"]
            scores.append(
                [
                    test[m]["model"][k] if test[m] else np.nan
                    for m in MODES
                    for k in ("rmse", "mase")
                ]
            )
            baselines = test
        s = np.array(scores)
        rows.append((name, s.mean(0), s.std(0), seconds / args.seeds))
    print(
        f"Chicago ridership (thousands), test part {f.split_.n_test} days; LSTM(32), "
        f"horizon 7 direct, lookback 28; mean over {args.seeds} seed(s) ± spread.\n"
    )
    print(
        "| inputs | one-step RMSE | one-step MASE | free-running RMSE | free-running MASE | s/fit |"
    )
    print("|---|---|---|---|---|---|")
    for name, mean, std, sec in rows:
        cells = [
            f"{m:.3f} ± {d:.3f}" if np.isfinite(m) else "not scored¹"
            for m, d in zip(mean, std, strict=True)
        ]
        print(f"| {name} | " + " | ".join(cells) + f" | {sec:.0f} |")
    for who, label in (("naive", "naive"), ("seasonal_naive", "seasonal naive (7 days)")):
        cells = [
            f"{baselines[m][who][k]:.3f}"
            for m in ("one_step", "recursive")
            for k in ("rmse", "mase")
        ]
        print(f"| *{label}* | " + " | ".join(cells) + " | - |")
    print(
        "\n¹ Past covariates are known up to the forecast origin only: no forecast can run "
        "free over the whole test part."
    )


if __name__ == "__main__":
    main()
