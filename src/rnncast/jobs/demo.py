"""The demo: the whole path on two bundled real series."""

from __future__ import annotations

import time
from pathlib import Path

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
}


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
        done[name] = fit_and_report(
            FitConfig(**settings),
            datasets.path(name),
            meta["target"],
            meta["date"],
            None,
            str(Path(out_dir) / name),
            overwrite=True,
            forecast_steps=spec["forecast"],
            console=console,
        )
    console.rule("Done")
    console.print(f"Demo finished in {time.perf_counter() - start:.0f} s. Reports and plots:")
    for name in done:
        folder = Path(out_dir) / name
        console.print(
            f"  {folder}/report.html  (plots: fit.png, forecast.png, loss.png)", highlight=False
        )
    return done
