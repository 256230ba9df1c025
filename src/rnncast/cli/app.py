"""The ``rnncast`` command: a thin Typer layer over the library.

PyTorch is imported only by the commands that need it, when they run, so ``--help`` is
quick. Each command group lives in its own module; importing them registers them.
"""

from __future__ import annotations

import sys
from typing import Any

from rnncast.cli import cells, fit, runs, start, studies  # noqa: F401  (registers the commands)
from rnncast.cli.common import app

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> Any:
    """Console entry point."""
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="rnncast")
