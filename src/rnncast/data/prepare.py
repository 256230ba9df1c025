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

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnncast.data.calendar import (
    calendar_columns,
    calendar_frame,
    calendar_parts,
    check_calendar_names,
)
from rnncast.data.dates import check_duplicates, detect_date, infer_freq, parse_dates, when
from rnncast.data.static import encode_static, static_names, static_spec
from rnncast.errors import ConfigError, DataError, closest


@dataclass(frozen=True)
class Known:
    """Inputs known ahead of time: columns of the data whose future values the user gives,
    calendar parts made from the dates (``"auto"`` for the frequency's), and the public
    holidays of a country or subdivision (``"AU-VIC"``)."""

    columns: tuple[str, ...] = ()
    calendar: tuple[str, ...] | str | None = None
    holidays: str | None = None
    static: tuple[str, ...] = ()
    static_spec: dict | None = None  # how the static columns were encoded when fitted

    @classmethod
    def of(cls, known=(), calendar=None, holidays=None, static=()) -> Known:
        """From the arguments of :meth:`Forecaster.fit` (``known`` the user's columns)."""
        names = as_names(known, "known") if known else ()
        fixed = as_names(static, "static") if static else ()
        if isinstance(calendar, str) and calendar not in ("auto", ""):
            calendar = tuple(c.strip() for c in calendar.split(",") if c.strip())
        elif isinstance(calendar, list | tuple):
            calendar = tuple(calendar)
        return cls(names, calendar or None, (holidays or "").strip() or None, fixed)

    def __bool__(self) -> bool:
        return bool(self.columns or self.calendar or self.holidays or self.static)

    def encoded(self, frames: Sequence[pd.DataFrame], id: str | None) -> Known:
        """With the static columns' encoding (from ``frames``, unless fitted already), and
        their network columns among the known columns."""
        if not self.static:
            return self
        if id is None:
            raise ConfigError("--static gives each of many series its values; it needs --id.")
        spec = self.static_spec or static_spec(frames, id, self.static)
        columns = (*self.columns, *static_names(spec))
        return dataclasses.replace(self, columns=columns, static_spec=spec)


NO_KNOWN = Known()


@dataclass
class PreparedData:
    """A clean series. ``frame`` holds the input columns (features first, then known columns,
    then targets).

    Attributes:
        frame: Float64 values indexed by a sorted DatetimeIndex (or a RangeIndex without dates).
        targets: Target column names (C of them).
        features: Extra input column names (may be empty): past covariates, known up to the
            forecast origin only.
        known: Columns known ahead of time (the user's, then the calendar's), in frame order.
        calendar: The calendar parts made from the dates (see :mod:`rnncast.data.calendar`).
        holidays: The country or subdivision whose public holidays make the ``holiday`` column.
        future: The user's known columns on the dates after the last observed target (rows
            of the data whose target was empty), or None; with many series one per series in
            ``futures``.
        date: Name of the date column, or None.
        freq: Pandas frequency alias ('D', 'B', 'MS', 'h', ...), or None without dates.
        missing_filled: Number of values filled in by the missing-value policy.
        rows_dropped: Number of rows removed by the ``drop`` policy.
        notes: Plain sentences about what was done to the data, for the run summary.
        id_column: The column naming the series in long-format data with many series.
        ids: The series' names, in order; empty for a single series.
        bounds: Row offsets of the series as if stacked (series g is rows
            ``bounds[g]:bounds[g + 1]``); empty for a single series.
        group: Which series this is, when it is one series of many (its scaler's row).
        parts: With many series, one frame per series and ``frame`` None: the panel is
            never held as one pandas frame.
        holes: Where values were missing and interpolated, one (T, F) mask per series; kept
            so that :func:`refill_causally` can redo the rows before a split boundary.
    """

    frame: pd.DataFrame | None
    targets: tuple[str, ...]
    features: tuple[str, ...]
    date: str | None
    freq: str | None
    missing_filled: int = 0
    rows_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    id_column: str | None = None
    ids: tuple[str, ...] = ()
    bounds: tuple[int, ...] = ()
    group: int = 0
    parts: tuple[pd.DataFrame, ...] = ()
    holes: tuple[np.ndarray, ...] = ()
    known: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()
    holidays: str | None = None
    future: pd.DataFrame | None = None
    futures: tuple[pd.DataFrame | None, ...] = ()
    static: dict | None = None

    @property
    def static_columns(self) -> list[str]:
        """The network columns of the static covariates (constant within a series)."""
        return static_names(self.static) if self.static else []

    @property
    def user_known(self) -> tuple[str, ...]:
        """The known columns the user gives future values for (not made from the dates, not
        static)."""
        made = {*calendar_columns(self.calendar, self.holidays), *self.static_columns}
        return tuple(k for k in self.known if k not in made)

    def dates_after(self, n: int) -> pd.Index:
        """The ``n`` dates (or row numbers) after the last observation of one series."""
        index = self.frame.index
        if isinstance(index, pd.DatetimeIndex):
            return pd.date_range(index[-1], periods=n + 1, freq=self.freq)[1:]
        return pd.RangeIndex(len(index), len(index) + n)

    def known_ahead(self, n: int) -> np.ndarray:
        """The known columns on the ``n`` dates after the last observation (n, K), in
        original units: calendar columns made from the dates, the user's from ``future``
        (NaN past its end)."""
        out = np.full((n, len(self.known)), np.nan)
        dates = self.dates_after(n)
        made = calendar_columns(self.calendar, self.holidays)
        if made:
            cal = calendar_frame(dates, self.calendar, self.holidays)
            for name in made:
                out[:, self.known.index(name)] = cal[name].to_numpy()
        if self.future is not None:
            rows = min(n, len(self.future))
            for name in self.user_known:
                out[:rows, self.known.index(name)] = self.future[name].to_numpy()[:rows]
        for name in self.static_columns:  # the same on every date
            out[:, self.known.index(name)] = self.frame[name].iloc[-1]
        return out

    @property
    def columns(self) -> list[str]:
        """All value columns: features, known columns, then targets."""
        return list((self.frame if self.frame is not None else self.parts[0]).columns)

    @property
    def n_rows(self) -> int:
        return len(self.frame) if self.frame is not None else self.bounds[-1]

    def first_last(self) -> tuple:
        """The earliest and latest date (or row) over every series."""
        frames = [self.frame] if self.frame is not None else self.parts
        return min(f.index.min() for f in frames), max(f.index.max() for f in frames)

    @property
    def n_series(self) -> int:
        return max(1, len(self.ids))

    def series(self, g: int) -> PreparedData:
        """Series ``g`` alone (the data itself when there is only one)."""
        if not self.ids:
            return self
        return PreparedData(
            self.parts[g],
            self.targets,
            self.features,
            self.date,
            self.freq,
            id_column=self.id_column,
            ids=(self.ids[g],),
            group=g,
            holes=(self.holes[g],) if self.holes and self.holes[g] is not None else (),
            known=self.known,
            calendar=self.calendar,
            holidays=self.holidays,
            future=self.futures[g] if self.futures else None,
            static=self.static,
        )

    @property
    def name(self) -> str | None:
        """The series' name, when it is one series of many."""
        return self.ids[0] if len(self.ids) == 1 else None


def prepare(
    raw: pd.DataFrame,
    target: str | Sequence[str],
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
    """
    if id is None:
        return _prepare_one(raw, target, date, features, missing, known.encoded([raw], None))
    if id not in raw.columns:
        raise DataError(
            f"Unknown id column {id!r}.{closest(id, [str(c) for c in raw.columns])} "
            f"Columns: {', '.join(map(str, raw.columns))}."
        )
    if raw[id].isna().any():
        row = int(np.argmax(raw[id].isna().to_numpy()))
        raise DataError(f"Id column {id!r} is empty in row {row + 2} of the file; fill it in.")
    if date is None:
        date = detect_date(raw.drop(columns=id), [])
    if known.static:
        known = known.encoded([raw], id)
        raw, _ = encode_static(raw, id, known.static_spec)
    return _prepare_long(raw, id, target, date, features, missing, known)


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
    keys, values, stamps, bounds, unsorted = _sorted_table(raw, id, columns, date, notes)
    parts = []
    for g, key in enumerate(keys):
        rows = slice(bounds[g], bounds[g + 1])
        index = stamps[rows] if stamps is not None else pd.RangeIndex(rows.stop - rows.start)
        frame = pd.DataFrame(values[rows], index=index, columns=columns, copy=False)  # (T_g, F)
        sorted_note = f"Rows were not in date order; sorted {len(frame)} rows by {date!r}."
        notes_g = [sorted_note] if g in unsorted else []
        try:
            frame, future = _split_future(frame, targets, known.columns, notes_g)
            freq = infer_freq(frame.index, notes_g) if date is not None else None
            data = _with_known(frame, future, targets, feats, date, freq, notes_g, known)
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
        series' row bounds (G + 1,), and the series whose rows were not in date order.
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
    stamps, unsorted = None, set()
    if date is None:
        order = np.argsort(codes, kind="stable")
    else:
        stamps = pd.DatetimeIndex(parse_dates(raw[date], date, notes), name=date)
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
    return [str(k) for k in keys], values[order], stamps, bounds, unsorted


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
    )


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
        values.index = parse_dates(raw[date], date, notes)
        if not values.index.is_monotonic_increasing:
            values = values.sort_index(kind="stable")
            notes.append(f"Rows were not in date order; sorted {len(values)} rows by {date!r}.")
        check_duplicates(values.index, date)
    else:
        values.index = pd.RangeIndex(len(values))
    for col in values.columns:
        values[col] = _numeric(values[col], col, date_index=date is not None)
    values, future = _split_future(values, targets, known.columns, notes)
    freq = infer_freq(values.index, notes) if date is not None else None
    data = _with_known(values, future, targets, feats, date, freq, notes, known)
    _apply_missing(data, missing)
    return data


def _split_future(frame: pd.DataFrame, targets, known: Sequence[str], notes: list[str]):
    """The rows up to the last observed target, and the rows after it (the future part:
    the known columns' values ahead, or None). Nothing after the last observation is ever
    filled in or scored."""
    observed = frame[list(targets)].notna().to_numpy().any(axis=1)
    if not observed.any() or observed[-1]:
        return frame, None
    last = len(observed) - 1 - int(np.argmax(observed[::-1]))
    past, ahead = frame.iloc[: last + 1], frame.iloc[last + 1 :]
    what = "the known columns' future values" if known else "not used (no --known columns)"
    notes.append(
        f"{len(ahead)} rows after the last observed {targets[0]!r} (from {when(ahead.index[0])}) "
        f"are the future part: never filled in or scored; {what}."
    )
    return past, ahead[list(known)] if known else None


def _with_known(frame, future, targets, feats, date, freq, notes, known: Known) -> PreparedData:
    """The prepared series with the calendar's columns made from its dates, placed after the
    user's known columns and before the targets."""
    parts = calendar_parts(known.calendar, freq) if known else ()
    made = calendar_columns(parts, known.holidays)
    if made:
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise ConfigError("--calendar and --holidays need a date column.")
        check_calendar_names(frame.columns, parts, known.holidays)
        cal = calendar_frame(frame.index, parts, known.holidays)
        frame = pd.concat([frame.iloc[:, : -len(targets)], cal, frame[list(targets)]], axis=1)
    if future is not None and isinstance(frame.index, pd.DatetimeIndex):
        check_future_dates(frame.index, future.index, freq)
    return PreparedData(
        frame,
        targets,
        feats,
        date,
        freq,
        notes=notes,
        known=(*known.columns, *made),
        calendar=tuple(parts),
        holidays=known.holidays,
        future=future,
        static=known.static_spec,
    )


def check_future_dates(history: pd.DatetimeIndex, dates: pd.DatetimeIndex, freq) -> None:
    """Future dates must go on from the last observation at the data's frequency."""
    expected = pd.date_range(history[-1], periods=len(dates) + 1, freq=freq)[1:]
    wrong = np.flatnonzero(expected != dates)
    if len(wrong):
        k = int(wrong[0])
        raise DataError(
            f"Future date {when(dates[k])} should be {when(expected[k])}: future rows must go "
            f"on from the last observation ({when(history[-1])}) at frequency {freq!r}, one "
            "row per date."
        )


def as_names(value: str | Sequence[str], what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        names = tuple(v.strip() for v in value.split(",") if v.strip())
    else:
        names = tuple(value)
    if not names:
        raise ConfigError(f"`{what}` is empty; name at least one column.")
    if len(set(names)) != len(names):
        raise ConfigError(f"`{what}` names a column twice: {', '.join(names)}.")
    return names


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
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        converted = pd.to_numeric(column, errors="coerce")
        bad = converted.isna() & column.notna()
        if bad.any():
            pos = int(np.argmax(bad.to_numpy()))
            where = f"at {column.index[pos]}" if date_index else f"in row {pos + 2} of the file"
            raise DataError(
                f"Column {name!r} is not numeric: {column.iloc[pos]!r} {where}. "
                "Clean the value (no thousands separators or units) or choose another column."
            )
        column = converted
    values = column.astype("float64")
    if np.isinf(values.to_numpy()).any():
        pos = int(np.argmax(np.isinf(values.to_numpy())))
        raise DataError(f"Column {name!r} holds an infinite value at position {pos}; fix it.")
    big = np.abs(values.to_numpy()) > np.finfo(np.float32).max
    if big.any():
        pos = int(np.argmax(big))
        raise DataError(
            f"Column {name!r} holds {values.iloc[pos]:.3g} at position {pos}, beyond the float32 "
            "range (3.4e38) networks compute in; rescale the column (e.g. divide by a power of "
            "ten) and scale the forecasts back."
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
