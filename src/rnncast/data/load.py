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

import numpy as np
import pandas as pd

from rnncast.data.ahead import NO_KNOWN, Known
from rnncast.data.dates import DATE_NAMES, detect_date
from rnncast.data.io import (
    is_parquet,
    parquet_columns,
    parquet_schema,
    parquet_series,
    read_table,
)
from rnncast.data.prepare import check_ids, guess_target, guessed_note, prepare, prepare_series
from rnncast.data.prepared import PreparedData, as_names
from rnncast.errors import ConfigError, DataError, closest


def load(
    source: Any,
    target: str | Sequence[str] | None = None,
    date: str | None = None,
    features: str | Sequence[str] = (),
    missing: str = "interpolate",
    id: str | None = None,
    known: Known = NO_KNOWN,
    reference: Any = None,
    wide: bool = False,
) -> PreparedData:
    """Read ``source`` and prepare it (see :func:`rnncast.data.prepare.prepare`).

    Long-format Parquet with ``id`` is read series by series in batches, so memory never
    holds the whole table twice; anything else is read whole. ``reference``: a second table
    of series in the same columns (with ``id``) that train the model and are never forecast
    nor scored; they are prepared with the data's series, their names kept in
    ``reference``. ``wide``: the table holds one column per series beside the date
    (:func:`long_from_wide`), named ``id`` and their values ``target`` in long format.
    ``target`` None: the table's one numeric column besides the date, id and inputs
    (:func:`rnncast.data.prepare.guess_target`); with ``wide``, ``"value"``.
    """
    if wide:
        source, target, date = wide_as_long(source, target, date, features, id, known)
        if reference is not None:
            reference = long_from_wide(read_table(reference), date, id, target, "reference table")
        data = load(source, target, date, features, missing, id, known, reference)
        data.wide = True  # newer data (forecast --data, a resume) are read the same way
        data.notes.append(
            f"Read a wide table: each of its {len(data.ids)} series columns is a series, "
            f"named in {id!r}, its values in {target!r}."
        )
        return data
    if reference is not None:
        return _with_reference(source, reference, target, date, features, missing, id, known)
    if id is None or not is_parquet(source):
        return prepare(read_table(source), target, date, features, missing, id=id, known=known)
    if date is None:  # detected by name, as for any table
        names = parquet_columns(Path(source))
        date = next((n for n in names if n.strip().lower() in DATE_NAMES), None)
    guessed = target is None
    if guessed:
        target = guess_target(parquet_schema(Path(source)), date, id, features, known)
    targets = as_names(target, "target")
    feats = as_names(features, "features") if features else ()
    columns = [c for c in (date, *feats, *known.columns, *known.static, *targets) if c]
    data = prepare_series(
        parquet_series(source, id, columns), targets, date, feats, missing, id, known
    )
    if guessed:
        data.notes.insert(0, guessed_note(targets[0]))
    return data


def wide_as_long(
    source: Any, target: str | None, date: str | None, features, id: str | None, known: Known
) -> tuple[pd.DataFrame, str, str | None]:
    """A wide table read in long format (:func:`long_from_wide`), the values' name
    (``target``; ``"value"`` when None) and the date column (detected by name when None);
    what was noticed on reading is in the table's ``attrs["notes"]``."""
    target = _wide_target("value" if target is None else target, features, id, known)
    raw, notes = read_table(source), []
    date = date or detect_date(raw, notes)
    table = long_from_wide(raw, date, id, target)
    table.attrs["notes"] = notes
    return table, target, date


def long_from_wide(
    table: pd.DataFrame, date: str | None, id: str, target: str, what: str = "data"
) -> pd.DataFrame:
    """A wide table (a date column and one column per series) in long format: columns
    ``id`` (the series' column name), the date (none where the table has none: each series'
    rows in order) and ``target``, series after series. Each series starts at its first
    value and ends at its last: blank rows before and after are not observations of it
    (blanks between stay, for the missing-value policy).

    >>> t = pd.DataFrame({"date": ["2024-01", "2024-02", "2024-03"], "a": [1.0, 2, None],
    ...                   "b": [None, 5.0, 6]})
    >>> long_from_wide(t, "date", "shop", "sales").to_numpy().tolist()
    [['a', '2024-01', 1.0], ['a', '2024-02', 2.0], ['b', '2024-02', 5.0], ['b', '2024-03', 6.0]]
    """
    if date is not None and date not in table.columns:
        columns = [str(c) for c in table.columns]
        raise DataError(
            f"Unknown date column {date!r} in the wide {what}.{closest(date, columns)} "
            f"Columns: {', '.join(columns)}."
        )
    made = [n for n in (id, target) if n in table.columns and n != date]
    if made:
        raise DataError(
            f"The wide {what} already has a column {made[0]!r}, which --wide would make from "
            "its series; give --id and --target names that are not columns of the table."
        )
    names = [c for c in table.columns if c != date]
    twice = sorted({str(c) for c in names if names.count(c) > 1})
    if twice:
        raise DataError(
            f"Column name {twice[0]!r} appears more than once in the wide {what}; each column "
            "is a series, so rename the duplicates."
        )
    if not names:
        raise DataError(f"The wide {what} has no column besides the date: no series to read.")
    frames = []
    for name in names:
        values = table[name]
        seen = np.flatnonzero(values.notna().to_numpy())
        if not len(seen):
            continue  # a column of blanks: no series
        text = pd.to_numeric(values, errors="coerce").isna().to_numpy() & values.notna().to_numpy()
        if text.any():
            row = int(np.argmax(text))
            raise DataError(
                f"Column {str(name)!r} of the wide {what} is not numeric: {values.iloc[row]!r} "
                f"in row {row + 2}. With --wide every column but the date is a series: leave "
                "other columns out of the table, or clean the value."
            )
        rows = slice(int(seen[0]), int(seen[-1]) + 1)
        part = {id: str(name)}
        if date is not None:
            part[date] = table[date].iloc[rows].to_numpy()
        part[target] = values.iloc[rows].to_numpy()
        frames.append(pd.DataFrame(part))
    if not frames:
        raise DataError(f"Every series column of the wide {what} is blank.")
    return pd.concat(frames, ignore_index=True)


def _wide_target(target, features, id, known: Known) -> str:
    """The one target name of a wide table's values (the options checked before reading)."""
    if id is None:
        raise ConfigError(
            "--wide needs --id: the name of the column of series names it makes (the wide "
            "table's column names), e.g. --id series."
        )
    targets = as_names(target, "target")
    if len(targets) != 1:
        raise ConfigError(
            "With --wide, --target is one name: what the series' values are called in long "
            f"format (e.g. --target sales); got {', '.join(targets)}."
        )
    if features or known.columns or known.static:
        raise ConfigError(
            "--wide reads every column but the date as a series, so it takes no --features, "
            "--known or --static; give such inputs in long format with --id."
        )
    return targets[0]


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
    guessed = target is None and id in raw.columns
    if guessed:
        target = guess_target(raw, date, id, features, known)
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
    if guessed:
        data.notes.insert(0, guessed_note(target))
    data.notes.append(
        f"{len(data.reference)} reference series train the model; they are neither forecast "
        "nor scored."
    )
    return data
