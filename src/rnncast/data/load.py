"""Any source to a prepared series: a path (CSV or Parquet), a DataFrame or a Series.

>>> import pandas as pd
>>> df = pd.DataFrame({"date": ["2024-01-01", "2024-01-02", "2024-01-03"], "y": [1.0, 2, 3]})
>>> load(df, target="y").freq
'D'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rnncast.data.ahead import NO_KNOWN, Known
from rnncast.data.dates import DATE_NAMES
from rnncast.data.io import is_parquet, parquet_columns, parquet_series, read_table
from rnncast.data.prepare import prepare, prepare_series
from rnncast.data.prepared import PreparedData, as_names


def load(
    source: Any,
    target: str | Sequence[str],
    date: str | None = None,
    features: str | Sequence[str] = (),
    missing: str = "interpolate",
    id: str | None = None,
    known: Known = NO_KNOWN,
) -> PreparedData:
    """Read ``source`` and prepare it (see :func:`rnncast.data.prepare.prepare`).

    Long-format Parquet with ``id`` is read series by series in batches, so memory never
    holds the whole table twice; anything else is read whole.
    """
    if id is None or not is_parquet(source):
        return prepare(read_table(source), target, date, features, missing, id=id, known=known)
    if date is None:  # detected by name, as for any table
        names = parquet_columns(Path(source))
        date = next((n for n in names if n.strip().lower() in DATE_NAMES), None)
    targets = as_names(target, "target")
    feats = as_names(features, "features") if features else ()
    columns = [c for c in (date, *feats, *known.columns, *known.static, *targets) if c]
    return prepare_series(
        parquet_series(source, id, columns), targets, date, feats, missing, id, known
    )
