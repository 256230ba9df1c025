"""The ``rnncast`` command: a thin Typer layer over the library.

PyTorch is imported only by the commands that need it, when they run, so ``--help`` is
quick. Each command group lives in its own module; importing them registers them.
"""

from __future__ import annotations

import sys
from typing import Any

from rnncast.cli.common import app, err, out, unexpected

# Importing a command group registers its commands; --help lists them in this order.
# isort: off
from rnncast.cli import fit, studies, runs, cells, start  # noqa: E402, F401
# isort: on


def _one_line_summaries() -> None:
    """Each command's line in ``rnncast --help``: its docstring's first paragraph as one
    sentence, so that the listing wraps at the screen's edge, not mid-sentence."""
    for info in app.registered_commands:
        doc = (info.callback.__doc__ or "").strip()
        if info.short_help is None and doc:
            info.short_help = " ".join(doc.split("\n\n")[0].split())


_one_line_summaries()

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> Any:
    """Console entry point: a usage error (an unknown option, ``--epochs 1.5``) is one line
    too, like every other error."""
    args = argv if argv is not None else sys.argv[1:]
    try:
        code = app(args=args, prog_name="rnncast", standalone_mode=False)
    except Exception as exc:
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            unexpected(exc)  # not Click's: a bug
        if type(exc).__name__ == "NoArgsIsHelpError":  # `rnncast` alone: the help
            out.print(exc.format_message(), highlight=False)
            sys.exit(0)
        command = " ".join(a for a in args[:1] if not a.startswith("-"))
        hint = f"see rnncast {command} --help".replace("  ", " ")
        err.print(f"Error: {exc.format_message()} ({hint})", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
