"""The demo: the whole path on three bundled real series, the last with inputs known ahead."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from rnncast import datasets
from rnncast.config import FitConfig
from rnncast.jobs.fit import fit_and_report

DEMO_RUNS = {
    "bitcoin": {
        "title": "Bitcoin daily close: can an LSTM beat 'tomorrow = today'?",
        "settings": dict(
            model="lstm",
            units=(32,),
            lookback=30,
            epochs=40,
            patience=10,
            test_size=0.15,
            val_size=0.15,
            seed=0,
        ),
        "forecast": 30,
    },
    "electricity": {
        "title": "US monthly electricity generation: a seasonal series",
        "settings": dict(
            model="lstm",
            units=(32,),
            lookback=24,
            epochs=300,
            patience=40,
            lr=3e-3,
            test_size=24,
            val_size=24,
            seed=0,
        ),
        "forecast": 24,
    },
    "chicago": {
        "title": "Chicago 'L' ridership: a forecast that knows the weather, the games and holidays",
        "settings": dict(
            model="lstm",
            units=(32,),
            lookback=28,
            horizon=7,
            epochs=150,
            patience=15,
            lr=3e-3,
            batch_size=32,
            seed=0,
        ),
        "forecast": 14,
        "known": {"calendar": "auto", "holidays": "US"},  # with the catalogue's known columns
        "hold_out": 14,  # the last days' ridership is withheld: the forecast is checked on it
    },
}


def _data(name: str, spec: dict):
    """The demo's data: the bundled file, or with ``hold_out`` a table whose last days have
    their target withheld (their known columns stay: the future part), and those days."""
    if "hold_out" not in spec:
        return datasets.path(name), None
    meta, frame = datasets.info(name), datasets.load(name)
    held = frame.iloc[-spec["hold_out"] :].copy()
    frame.loc[held.index, meta["target"]] = float("nan")
    return frame, held


def _check_held_out(f, held: pd.DataFrame, target: str, console: Console) -> None:
    """The forecast of the withheld days beside what happened and 'same day last week'."""
    forecast = f.forecast(len(held))[target].to_numpy()
    actual = held[target].to_numpy()
    history = f.data_.frame[target].to_numpy()
    last_week = np.concatenate([history, actual])[-len(actual) - 7 : -7]
    rmse = float(np.sqrt(np.mean((forecast - actual) ** 2)))
    naive = float(np.sqrt(np.mean((last_week - actual) ** 2)))
    console.print(
        f"The {len(held)} withheld days ({held.iloc[0, 0]} to {held.iloc[-1, 0]}), forecast "
        f"with their known weather, games and holidays: RMSE {rmse:.3g} against {naive:.3g} for "
        "'same day last week' (seasonal naive).",
        highlight=False,
    )


def run_demo(out_dir: str, console: Console | None = None, epochs: int | None = None) -> dict:
    """Fit the two demo series, print what happened and where the plots are."""
    console = console or Console()
    start, done = time.perf_counter(), {}
    for name, spec in DEMO_RUNS.items():
        meta = datasets.info(name)
        console.rule(spec["title"])
        console.print(
            f"{meta['description']}\nSource: {meta['source']}. Licence: {meta['license']}.",
            highlight=False,
        )
        settings = dict(spec["settings"], **({"epochs": epochs} if epochs else {}))
        data, held = _data(name, spec)
        known = {"known": meta.get("known", ()), **spec["known"]} if "known" in spec else None
        done[name] = fit_and_report(
            FitConfig(**settings),
            data,
            meta["target"],
            meta["date"],
            None,
            str(Path(out_dir) / name),
            overwrite=True,
            forecast_steps=spec["forecast"],
            console=console,
            known=known,
        )
        if held is not None:
            _check_held_out(done[name], held, meta["target"], console)
    console.rule("Done")
    console.print(f"Demo finished in {time.perf_counter() - start:.0f} s. Reports and plots:")
    for name in done:
        folder = Path(out_dir) / name
        console.print(
            f"  {folder}/report.html  (plots: fit.png, forecast.png, loss.png)", highlight=False
        )
    return done
