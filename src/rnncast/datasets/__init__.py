"""Real time series bundled with rnncast (no network needed).

>>> from rnncast import datasets
>>> names()
['airline', 'bitcoin', 'chicago', 'electricity']
>>> df = load("electricity")
>>> list(df.columns), len(df)
(['date', 'total', 'commercial', 'industrial'], 255)
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from rnncast.data.io import EXACT_FLOATS
from rnncast.errors import DataError, closest


@cache
def catalog() -> dict[str, dict[str, Any]]:
    """Every bundled dataset with its file, default date and target columns, source and licence."""
    text = resources.files(__name__).joinpath("catalog.json").read_text(encoding="utf-8")
    return json.loads(text)


def names() -> list[str]:
    """Names of the bundled datasets, sorted."""
    return sorted(catalog())


def info(name: str) -> dict[str, Any]:
    """The catalogue entry of one dataset; an unknown name is a :class:`DataError`."""
    entries = catalog()
    if name not in entries:
        raise DataError(
            f"No bundled dataset {name!r}.{closest(name, names())} "
            f"Bundled: {', '.join(names())} (see `rnncast datasets`)."
        )
    return entries[name]


def path(name: str) -> str:
    """Filesystem path of a bundled dataset's CSV file."""
    return str(resources.files(__name__).joinpath(info(name)["file"]))


def load(name: str) -> pd.DataFrame:
    """Load a bundled dataset as a DataFrame, dates left as text (as in the file)."""
    return pd.read_csv(path(name), **EXACT_FLOATS)
