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

import pandas as pd

from rnncast.data.ahead import NO_KNOWN, Known
from rnncast.data.dates import DATE_NAMES
from rnncast.data.io import is_parquet, parquet_columns, parquet_series, read_table
from rnncast.data.prepare import check_ids, prepare, prepare_series
from rnncast.data.prepared import PreparedData, as_names
from rnncast.errors import ConfigError, DataError


def load(
    source: Any,
    target: str | Sequence[str],
    date: str | None = None,
    features: str | Sequence[str] = (),
    missing: str = "interpolate",
    id: str | None = None,
    known: Known = NO_KNOWN,
    reference: Any = None,
) -> PreparedData:
    """Read ``source`` and prepare it (see :func:`rnncast.data.prepare.prepare`).

    Long-format Parquet with ``id`` is read series by series in batches, so memory never
    holds the whole table twice; anything else is read whole. ``reference``: a second table
    of series in the same columns (with ``id``) that train the model and are never forecast
    nor scored; they are prepared with the data's series, their names kept in
    ``reference``.
    """
    if reference is not None:
        return _with_reference(source, reference, target, date, features, missing, id, known)
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


def _with_reference(source, reference, target, date, features, missing, id, known):
    """:func:`load` of the data and a reference table of more series, prepared as one."""
    if id is None:
        raise ConfigError(
            "Reference series need --id: the column naming the series, in the data and in "
            "the reference table alike."
        )
    raw, extra = read_table(source), read_table(reference)
    if date is None:  # detected by name, as for any table
        date = next((str(c) for c in raw.columns if str(c).strip().lower() in DATE_NAMES), None)
    used = [id, date, *as_names(target, "target"), *known.columns, *known.static]
    used += as_names(features, "features") if features else []
    absent = [c for c in dict.fromkeys(used) if c and c in raw.columns and c not in extra.columns]
    if absent:
        raise DataError(
            f"The reference table lacks column {absent[0]!r} that the data has; give it the "
            "same columns (id, date, targets and inputs)."
        )
    if id not in raw.columns:  # said by prepare, with the columns it has
        return prepare(raw, target, date, features, missing, id=id, known=known)
    check_ids(raw, id)
    check_ids(extra, id, "the reference table")
    if extra.empty:
        raise DataError(
            "The reference table has no rows; give it series to learn from, or leave out "
            "--reference."
        )
    names = set(extra[id].astype(str))
    both = sorted(names & set(raw[id].astype(str)))
    if both:
        raise DataError(
            f"Series {both[0]!r} is in the data and in the reference table; a series is "
            "either forecast or only learned from: rename it or leave it out of one."
        )
    extra = extra[[c for c in raw.columns if c in extra.columns]]
    table = pd.concat([raw, extra], ignore_index=True)
    data = prepare(table, target, date, features, missing, id=id, known=known)
    data.reference = tuple(k for k in data.ids if k in names)
    data.notes.append(
        f"{len(data.reference)} reference series train the model; they are neither forecast "
        "nor scored."
    )
    return data
