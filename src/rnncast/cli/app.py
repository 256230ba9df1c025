"""The ``rnncast`` command: a thin Typer layer over the library.

PyTorch is imported only by the commands that need it, when they run, so ``--help`` is
quick. Each command group lives in its own module; importing them registers them.
"""

from __future__ import annotations

import sys
from typing import Any

from rnncast.cli.common import app

# Importing a command group registers its commands; --help lists them in this order.
# isort: off
from rnncast.cli import fit, studies, runs, cells, start  # noqa: E402, F401
# isort: on

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="rnncast")
