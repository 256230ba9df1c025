"""From a raw table to a clean, dated, numeric series ready for splitting.

Dates are parsed and sorted, the frequency inferred, values checked to be numeric and finite,
and missing values handled by an explicit policy whose work is counted.

>>> import pandas as pd
>>> raw = pd.DataFrame({"day": ["2024-01-03", "2024-01-01", "2024-01-02"], "y": [3.0, 1.0, None]})
>>> data = prepare(raw, target="y", date="day", missing="interpolate")
>>> data.frame["y"].tolist(), data.freq, data.missing_filled
([1.0, 2.0, 3.0], 'D', 1)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rnncast.data.ahead import NO_KNOWN, Known, split_future, with_known
from rnncast.data.dates import (
    check_duplicates,
    detect_date,
    infer_freq,
    localize,
    parse_dates,
)
from rnncast.data.prepared import PreparedData, as_names
from rnncast.data.static import encode_static
from rnncast.errors import ConfigError, DataError, closest


def prepare(
    raw: pd.DataFrame,
    target: str | Sequence[str] | None,
    date: str | None = None,
    features: Sequence[str] = (),
    missing: str = "interpolate",
    id: str | None = None,
    known: Known = NO_KNOWN,
) -> PreparedData:
    """Validate columns, parse and sort dates, infer the frequency and handle missing values.

    Rows after the last observed target (the target empty, known columns filled) are the
    future part: never filled, never scored, kept as the known columns' future values.

    With ``id``, ``raw`` holds many series in long format (one row per series and date);
    each series is prepared on its own (missing values are never filled across series) and
    the series are stacked, sorted by name.

    ``target`` None: the table's one numeric column besides the date, id and inputs
    (:func:`guess_target`), said in a note.
    """
    if id is not None and id not in raw.columns:
        hint = closest(id, [str(c) for c in raw.columns]) or " (One column per series? Add --wide.)"
        raise DataError(
            f"Unknown id column {id!r}.{hint} Columns: {', '.join(map(str, raw.columns))}."
        )
    if target is None:
        target = guess_target(raw, date, id, features, known)
        data = prepare(raw, target, date, features, missing, id, known)
        data.notes.insert(0, guessed_note(target))
        return data
    if id is None:
        return _prepare_one(raw, target, date, features, missing, known.encoded([raw], None))
    check_ids(raw, id)
    if date is None:
        date = detect_date(raw.drop(columns=id), [])
    if known.static:
        known = known.encoded([raw], id)
        raw, _ = encode_static(raw, id, known.static_spec)
    return _prepare_long(raw, id, target, date, features, missing, known)


def guess_target(
    table: pd.DataFrame,
    date: str | None = None,
    id: str | None = None,
    features: str | Sequence[str] = (),
    known: Known = NO_KNOWN,
) -> str:
    """The column to forecast when none is named: the table's only numeric column besides
    the date (given or found by name), the id and the input columns; a table with several or
    none is refused with the choice."""
    if date is None:
        date = detect_date(table.drop(columns=[c for c in table.columns if c == id]), [])
    inputs = as_names(features, "features") if features else ()
    taken = {date, id, *inputs, *known.columns, *known.static}
    numeric = [
        str(c)
        for c in table.columns
        if str(c) not in taken
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]
    if len(numeric) == 1:
        return numeric[0]
    if numeric:
        choice = f"{len(numeric)} numeric columns: {', '.join(numeric)}"
    else:
        free = [str(c) for c in table.columns if str(c) not in taken]
        choice = "no other column of numbers" + (f" ({', '.join(free)})" if free else "")
    raise ConfigError(f"Which column to forecast? Name it with --target; the table has {choice}.")


def guessed_note(target: str) -> str:
    return (
        f"Forecasting {target!r}, the only numeric column besides the date and inputs "
        "(--target names another)."
    )


def check_ids(raw: pd.DataFrame, id: str, where: str = "the file") -> None:
    """Refuse a row without a series name (its row number as a spreadsheet shows it)."""
    if raw[id].isna().any():
        row = int(np.argmax(raw[id].isna().to_numpy()))
        raise DataError(f"Id column {id!r} is empty in row {row + 2} of {where}; fill it in.")


def _prepare_long(
    raw: pd.DataFrame, id: str, target, date, features, missing, known: Known
) -> PreparedData:
    """:func:`prepare` of many series in one table: each series comes out as
    :func:`_prepare_one` would prepare it alone, but the work over the whole table is done
    once (see :func:`_sorted_table`); only a series' frequency and missing values are handled
    series by series."""
    targets = as_names(target, "target")
    feats = as_names(features, "features") if features else ()
    _check_columns([c for c in raw.columns if c != id], targets, feats, date, known.columns)
    _check_overlap(targets, feats, known.columns)
    notes: list[str] = list(raw.attrs.get("notes", []))
    columns = [*feats, *known.columns, *targets]
    keys, values, stamps, zone, bounds, unsorted = _sorted_table(raw, id, columns, date, notes)
    parts = []
    for g, key in enumerate(keys):
        rows = slice(bounds[g], bounds[g + 1])
        index = stamps[rows] if stamps is not None else pd.RangeIndex(rows.stop - rows.start)
        frame = pd.DataFrame(values[rows], index=index, columns=columns, copy=False)  # (T_g, F)
        sorted_note = f"Rows were not in date order; sorted {len(frame)} rows by {date!r}."
        notes_g = [sorted_note] if g in unsorted else []
        try:
            frame, future = split_future(frame, targets, known.columns, notes_g, zone)
            freq = infer_freq(localize(frame.index, zone), notes_g) if date is not None else None
            data = with_known(frame, future, targets, feats, date, freq, notes_g, known, zone)
            if np.isnan(values[rows]).any():
                _apply_missing(data, missing)
        except DataError as exc:
            raise DataError(f"Series {key!r}: {exc.raw()}") from None
        parts.append(data)
    return _stack(parts, keys, id, notes)


def _sorted_table(raw: pd.DataFrame, id: str, columns: list[str], date: str | None, notes):
    """The whole table's work, done once: values made numeric and checked, dates parsed, rows
    sorted by series then date, and duplicate dates refused.

    Returns:
        The series' names (sorted), the values (N, F) and dates (N,) in that order, the
        dates' zone (see :func:`rnncast.data.dates.parse_dates`), the series' row bounds
        (G + 1,), and the series whose rows were not in date order.
    """
    codes, keys = pd.factorize(raw[id].astype(str).to_numpy(), sort=True)
    values = np.column_stack([_numeric(raw[c], c, date_index=False).to_numpy() for c in columns])
    present = np.stack([np.bincount(codes, ~np.isnan(v), len(keys)) for v in values.T], axis=1)
    if (present == 0).any():  # (G, F): a column empty in one series
        g, c = np.argwhere(present == 0)[0]
        raise DataError(
            f"Series {keys[g]!r}: Column {columns[c]!r} has no values at all; choose another "
            "column."
        )
    stamps, zone, unsorted = None, None, set()
    if date is None:
        order = np.argsort(codes, kind="stable")
    else:
        stamps, zone = parse_dates(raw[date], date, notes)
        by_series = np.argsort(codes, kind="stable")
        c, d = codes[by_series], stamps.asi8[by_series]
        unsorted = set(c[1:][(c[1:] == c[:-1]) & (d[1:] < d[:-1])].tolist())
        order = np.lexsort((stamps.asi8, codes))  # by series, then date; stable
        stamps = stamps.take(order)
    codes = codes[order]
    bounds = np.searchsorted(codes, np.arange(len(keys) + 1))
    if stamps is not None:
        d = stamps.asi8
        dup = (codes[1:] == codes[:-1]) & (d[1:] == d[:-1])
        if dup.any():
            g = int(codes[int(np.argmax(dup)) + 1])
            try:
                check_duplicates(stamps[bounds[g] : bounds[g + 1]], date)
            except DataError as exc:
                raise DataError(f"Series {keys[g]!r}: {exc.raw()}") from None
    return [str(k) for k in keys], values[order], stamps, zone, bounds, unsorted


def prepare_series(
    series: dict[str, pd.DataFrame],
    target: str | Sequence[str],
    date: str | None,
    features: Sequence[str],
    missing: str,
    id: str,
    known: Known = NO_KNOWN,
) -> PreparedData:
    """Prepare many series already split by name (e.g. read from Parquet in batches)."""
    parts, keys = [], []
    if known.static:
        series = {key: frame.assign(**{id: key}) for key, frame in series.items()}
        known = known.encoded(list(series.values()), id)
        series = {k: encode_static(frame, id, known.static_spec)[0] for k, frame in series.items()}
    for key in sorted(series):
        try:
            parts.append(_prepare_one(series[key], target, date, features, missing, known))
        except DataError as exc:
            raise DataError(f"Series {key!r}: {exc.raw()}") from None
        keys.append(key)
    return _stack(parts, keys, id)


def _stack(parts: list[PreparedData], keys: list[str], id: str, notes=()) -> PreparedData:
    first = parts[0]
    bounds = tuple(int(b) for b in np.cumsum([0] + [len(p.frame) for p in parts]))
    freqs = pd.Series([p.freq for p in parts if p.freq is not None])
    freq = freqs.mode().iloc[0] if len(freqs) else None
    zones = {p.zone for p in parts}
    zone = zones.pop() if len(zones) == 1 else "UTC"  # series given in different zones
    notes = [f"{len(parts)} series in column {id!r}, {bounds[-1]} rows in all.", *notes]
    counts = pd.Series([n for p in parts for n in p.notes]).value_counts()
    notes += [n if k == 1 else f"{n} ({k} series)" for n, k in counts.items()]
    return PreparedData(
        None,
        first.targets,
        first.features,
        first.date,
        freq,
        sum(p.missing_filled for p in parts),
        sum(p.rows_dropped for p in parts),
        notes,
        id_column=id,
        ids=tuple(keys),
        bounds=bounds,
        parts=tuple(p.frame for p in parts),
        holes=tuple(p.holes[0] if p.holes else None for p in parts),
        known=first.known,
        calendar=first.calendar,
        holidays=first.holidays,
        futures=tuple(p.future for p in parts) if any(p.future is not None for p in parts) else (),
        static=first.static,
        zone=zone,
    )


def _id_hint(raw: pd.DataFrame, date: str, used: list[str]) -> str:
    """With repeated dates, a column that tells the rows of each date apart is likely the
    series' names of long-format data: say so."""
    for column in raw.columns:
        if column == date or column in used or raw[column].nunique() < 2:
            continue
        if not raw.duplicated([date, column]).any():
            return (
                f" Each date appears once per value of {column!r}: if those name series, "
                f"pass --id naming that column ({column!r})."
            )
    return ""


def _prepare_one(
    raw: pd.DataFrame,
    target: str | Sequence[str],
    date: str | None,
    features: Sequence[str],
    missing: str,
    known: Known = NO_KNOWN,
) -> PreparedData:
    targets = as_names(target, "target")
    feats = as_names(features, "features") if features else ()
    _check_columns(list(raw.columns), targets, feats, date, known.columns)
    notes: list[str] = list(raw.attrs.get("notes", []))
    if date is None:
        date = detect_date(raw, notes)
    _check_overlap(targets, feats, known.columns)
    values = raw[[*feats, *known.columns, *targets]].copy()
    if date is not None:
        values.index, zone = parse_dates(raw[date], date, notes)
        if not values.index.is_monotonic_increasing:
            values = values.sort_index(kind="stable")
            notes.append(f"Rows were not in date order; sorted {len(values)} rows by {date!r}.")
        try:
            check_duplicates(values.index, date)
        except DataError as exc:
            raise DataError(exc.raw() + _id_hint(raw, date, [*feats, *targets])) from None
    else:
        values.index, zone = pd.RangeIndex(len(values)), None
    for col in values.columns:
        values[col] = _numeric(values[col], col, date_index=date is not None)
    values, future = split_future(values, targets, known.columns, notes, zone)
    freq = infer_freq(localize(values.index, zone), notes) if date is not None else None
    data = with_known(values, future, targets, feats, date, freq, notes, known, zone)
    _apply_missing(data, missing)
    return data


def _check_overlap(targets, feats, known=()) -> None:
    roles = (("target", targets), ("feature", feats), ("known column", known))
    for k, (role, names) in enumerate(roles):
        for other, others in roles[k + 1 :]:
            overlap = set(names) & set(others)
            if overlap:
                raise ConfigError(
                    f"Column {sorted(overlap)[0]!r} is both a {role} and a {other}; list it in "
                    "one only."
                )


def _check_columns(columns: list, targets, feats, date, known=()) -> None:
    cols = [str(c) for c in columns]
    dupes = sorted({c for c in cols if cols.count(c) > 1})
    if dupes:
        raise DataError(f"Column name {dupes[0]!r} appears more than once; rename the duplicates.")
    dates = (date,) if date else ()
    for role, names in (("target", targets), ("feature", feats), ("known", known), ("date", dates)):
        for name in names:
            if name not in columns:
                raise DataError(
                    f"Unknown {role} column {name!r}.{closest(name, cols)} "
                    f"Columns: {', '.join(cols)}."
                )


def _numeric(column: pd.Series, name: str, date_index: bool) -> pd.Series:
    def where(bad: np.ndarray) -> tuple[int, str]:  # the first bad value, as the user sees it
        pos = int(np.argmax(bad))
        return pos, f"at {column.index[pos]}" if date_index else f"in row {pos + 2} of the file"

    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        converted = pd.to_numeric(column, errors="coerce")
        bad = (converted.isna() & column.notna()).to_numpy()
        if bad.any():
            pos, at = where(bad)
            raise DataError(
                f"Column {name!r} is not numeric: {column.iloc[pos]!r} {at}. "
                "Clean the value (no thousands separators or units) or choose another column."
            )
        column = converted
    values = column.astype("float64")
    if np.isinf(values.to_numpy()).any():
        _, at = where(np.isinf(values.to_numpy()))
        raise DataError(f"Column {name!r} holds an infinite value {at}; fix it.")
    big = np.abs(values.to_numpy()) > np.finfo(np.float32).max
    if big.any():
        pos, at = where(big)
        raise DataError(
            f"Column {name!r} holds {values.iloc[pos]:.3g} {at}, beyond the float32 range "
            "(3.4e38) networks compute in; rescale the column (e.g. divide by a power of ten) "
            "and scale the forecasts back."
        )
    if values.isna().all():
        raise DataError(f"Column {name!r} has no values at all; choose another column.")
    return values


def _apply_missing(data: PreparedData, policy: str) -> None:
    frame = data.frame
    holes = frame.isna()
    count = int(holes.to_numpy().sum())
    if count == 0:
        return
    first = frame.index[int(np.argmax(holes.any(axis=1).to_numpy()))]
    if policy == "error":
        raise DataError(
            f"{count} missing values (the first at {first}); choose --missing "
            "interpolate, ffill or drop."
        )
    if policy == "drop":
        keep = ~holes.any(axis=1)
        data.frame = frame[keep]
        data.rows_dropped = int((~keep).sum())
        data.notes.append(f"Dropped {data.rows_dropped} rows with missing values (--missing drop).")
        return
    if policy == "interpolate":
        filled = _interpolate(frame)
        data.holes = (holes.to_numpy(),)
    elif policy == "ffill":
        filled = frame.ffill().bfill()
    else:
        raise ConfigError(f"`missing` must be interpolate, ffill, drop or error; got {policy!r}.")
    data.frame = filled
    data.missing_filled = count
    data.notes.append(f"Filled {count} missing values (--missing {policy}).")


def _interpolate(frame: pd.DataFrame) -> pd.DataFrame:
    """Linear in time (in row order without dates); gaps at either end take the nearest value."""
    method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
    return frame.interpolate(method=method, limit_direction="both")


def refill_causally(data: PreparedData, boundaries: Sequence[int]) -> int:
    """Redo interpolated values so that none before a boundary reads a value after it.

    Interpolation runs over the whole series before it is split, so a gap just before the test
    part would be bridged with the first test value: a leak. For each boundary (the start of
    validation, the start of test), the gaps before it are filled again from the rows before
    it alone (a gap reaching the boundary takes the last value before it). Filled values that
    did not read across a boundary stay exactly as they were.

    Returns:
        How many values changed.
    """
    if not data.holes or data.holes[0] is None or data.frame is None:
        return 0
    holes, frame = data.holes[0], data.frame
    values = frame.to_numpy().copy()
    raw = np.where(holes, np.nan, values)
    for end in sorted(set(boundaries)):
        if not 0 < end < len(frame) or not holes[:end].any():
            continue
        before = pd.DataFrame(raw[:end], index=frame.index[:end], columns=frame.columns)
        refilled = _interpolate(before).to_numpy()
        start = max((b for b in boundaries if b < end), default=0)
        values[start:end] = np.where(holes[start:end], refilled[start:end], values[start:end])
    changed = int((values != frame.to_numpy()).sum())
    if changed:
        data.frame = pd.DataFrame(values, index=frame.index, columns=frame.columns)
    return changed
