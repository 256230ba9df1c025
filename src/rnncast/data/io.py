"""Reading a table from a CSV or Parquet file, a DataFrame or a Series.

>>> import pandas as pd
>>> read_table(pd.Series([1.0, 2.0], name="y")).columns.tolist()
['y']
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import pandas as pd

from rnncast.errors import DataError, closest


def _exact_floats() -> dict[str, str]:
    """read_csv's options that read a float's text as the nearest double. pandas 2's and
    3.0's default parser can miss it by one unit in the last place (a saved run's series
    would then differ from the one it was fitted on); pandas 3.1 parses exactly and
    deprecates the option. Decided by reading one such number, not by version."""
    text = "4.2113837177767754"  # parsed 8.9e-16 off by the inexact parsers
    exact = pd.read_csv(io.StringIO(f"y\n{text}\n"))["y"].iloc[0] == float(text)
    return {} if exact else {"float_precision": "round_trip"}


EXACT_FLOATS: dict[str, str] = _exact_floats()

Source = str | Path | pd.DataFrame | pd.Series

_PARQUET = (".parquet", ".pq")


def read_table(source: Any) -> pd.DataFrame:
    """Return a fresh DataFrame from a path (CSV or Parquet), a DataFrame or a Series.

    A Series with a DatetimeIndex becomes two columns, ``date`` and its name (``value`` when
    unnamed); a DataFrame with a DatetimeIndex or PeriodIndex keeps that index as a column
    named after it, and so does a named index of any kind (dates read as text with
    ``index_col``, series names).
    """
    if isinstance(source, pd.Series):
        name = source.name if source.name is not None else "value"
        frame = source.to_frame(name=str(name))
        return _strip_names(_index_to_column(frame))
    if isinstance(source, pd.DataFrame):
        return _strip_names(_index_to_column(source.copy()))
    if isinstance(source, str | Path):
        return _strip_names(_read_file(Path(source)))
    raise TypeError(
        "Data must be a CSV or Parquet path, a pandas DataFrame or Series; "
        f"got {type(source).__name__}."
    )


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, recorded in a run's config to tell which data it saw."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _strip_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names as a person meant them: ' demand ' (spreadsheets pad names) is 'demand',
    said in a note; names equal once stripped are refused, as any duplicate."""
    names = [str(c) for c in frame.columns]
    stripped = [n.strip() for n in names]
    if stripped == names:
        return frame
    for i, name in enumerate(stripped):
        if name in stripped[:i]:
            raise DataError(
                f"Columns {names[stripped.index(name)]!r} and {names[i]!r} are the same name "
                "once the spaces around them are removed; rename one."
            )
    padded = [repr(n) for n, s in zip(names, stripped, strict=True) if n != s]
    notes = list(frame.attrs.get("notes", []))
    notes.append(f"Removed the spaces around column names {', '.join(padded)}.")
    frame.columns = stripped
    frame.attrs["notes"] = notes
    return frame


def _index_to_column(frame: pd.DataFrame) -> pd.DataFrame:
    """An index that holds data becomes columns: dates (periods as their first moments, an
    unnamed one as ``date``), and any named index, such as the dates as text that
    ``pd.read_csv(path, index_col=0)`` leaves, which would otherwise be lost."""
    if isinstance(frame.index, pd.PeriodIndex):
        frame = frame.set_axis(frame.index.to_timestamp())
    if isinstance(frame.index, pd.DatetimeIndex):
        frame = frame.rename_axis(frame.index.name or "date")
    names = [name for name in frame.index.names if name is not None]
    if not names:
        return frame
    for name in names:
        if name in frame.columns:
            raise DataError(f"The index and a column are both named {name!r}; rename one.")
    return frame.reset_index()


def _read_file(path: Path) -> pd.DataFrame:
    check_file(path)
    if path.suffix.lower() in _PARQUET:
        frame = _read_parquet(path)
    else:
        frame = _read_csv(path)
    if frame.empty:
        raise DataError(f"{str(path)!r} has a header but no rows of data.")
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(
            f"{str(path)!r} is not a readable Parquet file ({str(exc).strip()})."
        ) from exc


def _read_csv(path: Path) -> pd.DataFrame:
    with open(path, "rb") as fh:
        if b"\x00" in fh.read(8192):  # text never holds NUL bytes
            raise DataError(
                f"{str(path)!r} is a binary file, not CSV text; give a UTF-8 CSV or a Parquet "
                "file (a .parquet name is read as Parquet)."
            )
    try:
        options = _dialect(path)
        _check_header(path, options.get("sep", ","))
        frame = pd.read_csv(path, encoding="utf-8-sig", **options, **EXACT_FLOATS)
        notes = ["Read as semicolon-separated with decimal commas (a European-style CSV)."]
        frame.attrs["notes"] = notes if options else []
        return frame
    except UnicodeDecodeError:
        raise DataError(
            f"{str(path)!r} is not UTF-8 text (a binary file, or another encoding); "
            "save it as UTF-8 CSV or as Parquet."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{str(path)!r} has no columns; give a CSV with a header row.") from None
    except pd.errors.ParserError as exc:
        reason = str(exc).strip().removeprefix("Error tokenizing data. C error: ")
        raise DataError(
            f"{str(path)!r} is not a well-formed CSV file ({reason}); every row needs as many "
            "fields as the header, and text holding the separator needs quotes."
        ) from None


def _check_header(path: Path, sep: str) -> None:
    """Duplicated column names, which pandas would silently rename to 'name.1'."""
    with open(path, encoding="utf-8-sig", newline="") as fh:  # a BOM is not part of a name
        header = next(csv.reader(fh, delimiter=sep), [])
    names = [n.strip() for n in header]
    for i, name in enumerate(names):
        if name and name in names[:i]:
            raise DataError(
                f"Column name {name!r} appears more than once in the header of {str(path)!r} "
                f"(columns {names.index(name) + 1} and {i + 1}); rename the duplicates."
            )


def _dialect(path: Path) -> dict:
    """Semicolon-separated files with decimal commas (as spreadsheets in much of Europe
    write them) are read as such; anything else as plain CSV."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    if ";" in header and "," not in header:
        return {"sep": ";", "decimal": ","}
    return {}


def parquet_series(
    path: str | Path, id: str, columns: list[str], batch_rows: int = 1_000_000
) -> dict[str, pd.DataFrame]:
    """Read a long-format Parquet file series by series, in record batches of ``batch_rows``,
    keeping only ``columns``: memory holds the wanted columns and one batch, never the whole
    table twice.

    Returns:
        Series name -> its rows (without the id column), in file order.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    check_file(path)
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(
            f"{str(path)!r} is not a readable Parquet file ({str(exc).strip()})."
        ) from exc
    names = handle.schema_arrow.names
    for column in [id, *columns]:
        if column not in names:
            raise DataError(
                f"Unknown column {column!r}.{closest(column, names)} Columns: {', '.join(names)}."
            )
    pieces: dict[str, list[pd.DataFrame]] = {}
    try:
        for batch in handle.iter_batches(batch_size=batch_rows, columns=[id, *columns]):
            frame = batch.to_pandas()
            for key, rows in frame.groupby(frame[id].astype(str), sort=False):
                pieces.setdefault(str(key), []).append(rows.drop(columns=id))
    except (OSError, ValueError) as exc:  # a truncated or damaged file, found while reading
        raise DataError(
            f"{str(path)!r} is damaged or truncated; it could not be read to the end "
            f"({str(exc).strip()})."
        ) from exc
    if not pieces:
        raise DataError(f"{str(path)!r} has a header but no rows of data.")
    return {k: v[0] if len(v) == 1 else pd.concat(v) for k, v in pieces.items()}


def parquet_columns(path: Path) -> list[str]:
    """The column names of a Parquet file, read from its schema alone."""
    return list(parquet_schema(path).columns)


def parquet_schema(path: Path) -> pd.DataFrame:
    """An empty table with a Parquet file's columns and their types, read from its schema."""
    import pyarrow.parquet as pq

    check_file(path)
    try:
        schema = pq.read_schema(path).remove_metadata()  # no pandas index put back
        return schema.empty_table().to_pandas()
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise DataError(
            f"{str(path)!r} is not a readable Parquet file ({str(exc).strip()})."
        ) from exc


def is_parquet(source: Any) -> bool:
    return isinstance(source, str | Path) and Path(source).suffix.lower() in _PARQUET


def check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"No such file: {str(path)!r}. Check the path.")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a directory; give a CSV or Parquet file.")
    if not path.is_file():  # a FIFO, a device or a socket: reading could block forever
        raise DataError(
            f"{str(path)!r} is not a regular file (a pipe, device or socket); save the data "
            "to a CSV or Parquet file first."
        )
    if path.stat().st_size == 0:
        raise DataError(f"{str(path)!r} is empty; give a file with a header and rows.")
