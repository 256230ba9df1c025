"""What every command shares: the Typer app, the consoles, one-line errors, and the
helpers that read the command line.

Errors caused by input become one line on stderr and exit code 2 (a traceback only with
``--debug``).
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rnncast.errors import DataError, RnncastError, closest

app = typer.Typer(
    help="Honest time-series forecasting with recurrent neural networks.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)
_state = {"debug": False}


def _version(asked: bool) -> None:
    """``--version``: rnncast's, with the PyTorch and Python it runs on (read from the
    installed packages' metadata, so PyTorch is not imported)."""
    if not asked:
        return
    import platform
    from importlib import metadata

    from rnncast.version import __version__

    try:
        torch = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch = "not installed"
    out.print(
        f"rnncast {__version__} (PyTorch {torch}, Python {platform.python_version()})",
        highlight=False,
    )
    raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    _state["debug"] = debug


def fail(exc: BaseException) -> None:
    """One line on stderr; exit 2, or 128 + the signal number for an interrupted fit."""
    if _state["debug"]:
        raise exc
    if isinstance(exc, RnncastError):
        text = exc.for_cli()  # in the CLI's words
    elif isinstance(exc, OSError):  # the machine said no: disk full, read-only, ...
        text = os_error_text(exc)
    else:
        text = str(exc)
    signum = getattr(exc, "signum", None)
    if signum is not None:  # a clean stop on SIGINT or SIGTERM, not an error
        err.print(f"[bold yellow]Stopped:[/] {text}", highlight=False, soft_wrap=True)
        raise typer.Exit(128 + (signum or 2))
    err.print(f"[bold red]Error:[/] {text}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def unexpected(exc: Exception) -> None:
    """A bug: one line as well, exit 1 (the traceback under ``--debug``). Ctrl-C never comes
    here: Typer ends the command with exit 130, and every output is written atomically."""
    if _state["debug"]:
        raise exc
    said = " ".join(str(exc).split())  # PyTorch's messages span lines
    what = f"{type(exc).__name__}: {said}" if said else type(exc).__name__
    err.print(
        f"[bold red]Error:[/] rnncast failed unexpectedly ({what}). This is a bug in rnncast, "
        "not in your input: rerun with --debug for the traceback and report it.",
        highlight=False,
        soft_wrap=True,
    )
    sys.exit(1)


def os_error_text(exc: OSError) -> str:
    """One line for an error of the machine, with what to do about it."""
    where = f" ({exc.filename})" if exc.filename else ""
    fix = {
        errno.ENOSPC: "free some space or choose another --out",
        errno.EDQUOT: "free some space or choose another --out",
        errno.EROFS: "choose a writable --out",
        errno.EACCES: "choose a --out you may write to",
        errno.EPERM: "choose a --out you may write to",
    }.get(exc.errno, "check the path")
    return f"{exc.strerror or exc}{where}; {fix}. Nothing half-written was left there."


def typed_here(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line (Typer's ParameterSource)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name != "DEFAULT"


def resolve_data(data: str) -> str:
    """A path, or the name of a bundled dataset when no such file exists."""
    if Path(data).exists():
        return data
    from rnncast import datasets

    # Commands import their machinery when they run, so `rnncast --help` stays
    # quick and free of PyTorch: the function-level imports below are deliberate.

    if data in datasets.names():
        return datasets.path(data)
    if Path(data).suffix or Path(data).parent != Path("."):
        return data  # read_table reports the missing file
    names = datasets.names()
    raise DataError(
        f"No file or bundled dataset is named {data!r}.{closest(data, names)} Bundled: "
        f"{', '.join(names)} (rnncast datasets); or give the path of a CSV or Parquet file."
    )


def data_and_target(data: str, target: str | None, wide: bool = False) -> tuple[str, str | None]:
    """The data's path and the column to forecast: --target, else the target a bundled
    dataset's catalogue names when the data is given by that name (read --wide, its columns
    are the series and None names their values), else None (the data's one numeric column,
    found when it is read)."""
    path = resolve_data(data)
    if target is None and path != data and not wide:
        from rnncast import datasets

        target = datasets.info(data)["target"]
    return path, target


def split_names(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []
