"""Getting started: the bundled datasets and the demo."""

from __future__ import annotations

from typing import Annotated

import typer

from rnncast.cli.common import app, fail, out
from rnncast.config import DEFAULTS
from rnncast.errors import RnncastError

# Commands import their machinery when they run, so `rnncast --help` stays
# quick and free of PyTorch: the function-level imports below are deliberate.

_D = DEFAULTS


# -- data and demo --------------------------------------------------------------------------
@app.command("datasets")
def datasets_cmd() -> None:
    """List the real datasets bundled with rnncast, with source and licence."""
    from rich.table import Table

    from rnncast import datasets

    table = Table(title="Bundled datasets (use the name as DATA)", title_justify="left")
    for col in ("name", "rows", "frequency", "target", "description", "licence"):
        table.add_column(col)
    for name in datasets.names():
        meta = datasets.info(name)
        rows = str(len(datasets.load(name)))
        table.add_row(
            name, rows, meta["frequency"], meta["target"], meta["description"], meta["license"]
        )
    out.print(table)
    out.print("Sources: " + "; ".join(f"{n}: {datasets.info(n)['url']}" for n in datasets.names()))


@app.command()
def demo(
    out_dir: Annotated[str, typer.Option("--out", help="Folder for the demo runs.")] = "runs/demo",
    epochs: Annotated[int | None, typer.Option(help="Override the epochs (quick look).")] = None,
) -> None:
    """Run the whole path on two bundled real series: a price and a seasonal series."""
    try:
        from rnncast.jobs import run_demo

        run_demo(out_dir, console=out, epochs=epochs)
    except (RnncastError, OSError) as exc:
        fail(exc)
