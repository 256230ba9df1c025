"""Exceptions raised by rnncast, in the words of whoever called.

Every error a user can cause derives from :class:`RnncastError`; the CLI turns those into one
line and exit code 2. Each message names the problem and what to do about it, naming a
setting the way the caller gave it: the Python API by its keyword (``lookback=0``), the
command line by its option (``--lookback 0``). Messages may be written either way; this
module is the one place that maps the one to the other.

>>> str(ConfigError("The window needs --lookback 24 + --horizon 1; see --test-size."))
'The window needs lookback=24 + horizon=1; see `test_size`.'
>>> ConfigError("`batch_size` must be >= 1, got 0.").for_cli()
'--batch-size must be >= 1, got 0.'
"""

from __future__ import annotations

import difflib
import re

# An option, and a number given to it: "--lookback 24", "--horizon 1,3,7", "--test-size".
_OPTION = re.compile(r"--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?: (-?\d+(?:\.\d+)?(?:,\d+)*))?")
# A keyword in backticks: "`batch_size`".
_KEYWORD = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)*)`")
# Options whose Python words are not the option's name.
_PYTHON = {
    "no-target-history": "target_history=False",
    "no-refit": "refit=False",
    "target-history": "target_history=True",
    "overwrite": "overwrite=True",
    "out": "`path`",
    "forecast": "`forecast_steps`",
}
_CLI = {"forecast_steps": "--forecast", "path": "--out"}
# A command line quoted in a message stays as it is: "continue with: rnncast fit --resume R".
_COMMAND = re.compile(r"\b(?:rnncast|torchrun) ")


def in_python(message: str) -> str:
    """``--lookback 24`` -> ``lookback=24``; ``--test-size`` -> `` `test_size` ``."""
    head, command, tail = _split_command(message)

    def keyword(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        if name in _PYTHON:
            return _PYTHON[name] + (f" {value}" if value else "")
        python = name.replace("-", "_")
        return f"{python}={value}" if value else f"`{python}`"

    return _OPTION.sub(keyword, head) + command + tail


def in_cli(message: str) -> str:
    """`` `batch_size` `` -> ``--batch-size``."""
    head, command, tail = _split_command(message)

    def option(match: re.Match) -> str:
        name = match.group(1)
        return _CLI.get(name, "--" + name.replace("_", "-"))

    return _KEYWORD.sub(option, head) + command + tail


def _split_command(message: str) -> tuple[str, str, str]:
    found = _COMMAND.search(message)
    if found is None:
        return message, "", ""
    return message[: found.start()], "", message[found.start() :]


class RnncastError(Exception):
    """Base class of every error caused by input, settings or files.

    ``str(error)`` speaks Python (the API's keywords); :meth:`for_cli` speaks the command
    line (its options).
    """

    def __str__(self) -> str:
        return in_python(self.raw())

    def raw(self) -> str:
        """The message as written."""
        return str(self.args[0]) if self.args else ""

    def for_cli(self) -> str:
        """The message in the command line's words."""
        return in_cli(self.raw())


class DataError(RnncastError, ValueError):
    """The data cannot be used as given (missing file, unknown column, bad values)."""


class ConfigError(RnncastError, ValueError):
    """A setting is out of range, of the wrong kind, or contradicts another."""


class SettingTypeError(RnncastError, TypeError):
    """A setting of the wrong kind (``lookback=7.5``): a TypeError to Python, and one line
    like every other error to the command line."""


class RunError(RnncastError):
    """A run directory is missing, incomplete or not readable as an rnncast run."""


class NotFittedError(RnncastError, AttributeError):
    """A method that needs a fitted forecaster was called before ``fit``."""


def closest(name: str, choices: list[str]) -> str:
    """Return a ' Did you mean ...?' hint for a mistyped name, or '' if nothing is close.

    >>> closest("Clsoe", ["Open", "Close", "Volume"])
    " Did you mean 'Close'?"
    """
    by_lower = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" Did you mean {by_lower[match[0]]!r}?" if match else ""
