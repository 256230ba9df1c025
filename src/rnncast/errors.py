"""Exceptions raised by rnncast.

Every error a user can cause derives from :class:`RnncastError`; the CLI turns those into one
line and exit code 2. Each message names the problem and what to do about it.
"""

from __future__ import annotations


class RnncastError(Exception):
    """Base class of every error caused by input, settings or files."""


class DataError(RnncastError, ValueError):
    """The data cannot be used as given (missing file, unknown column, bad values)."""


class ConfigError(RnncastError, ValueError):
    """A setting is out of range, of the wrong kind, or contradicts another."""


class RunError(RnncastError):
    """A run directory is missing, incomplete or not readable as an rnncast run."""


class NotFittedError(RnncastError, AttributeError):
    """A method that needs a fitted forecaster was called before ``fit``."""


def closest(name: str, choices: list[str]) -> str:
    """Return a ' Did you mean ...?' hint for a mistyped name, or '' if nothing is close.

    >>> closest("Clsoe", ["Open", "Close", "Volume"])
    " Did you mean 'Close'?"
    """
    import difflib

    by_lower = {c.lower(): c for c in choices}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" Did you mean {by_lower[match[0]]!r}?" if match else ""
