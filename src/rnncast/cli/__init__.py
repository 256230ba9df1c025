"""The ``rnncast`` command: a thin Typer layer over the library."""

from rnncast.cli.app import app, main

__all__ = ["app", "main"]
