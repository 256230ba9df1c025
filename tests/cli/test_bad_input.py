"""Every kind of bad input named in issue 7, one by one: the CLI answers with one line that
names the problem and the fix, exit code 2, no traceback and no run directory; the Python API
raises the library's own error with the same message in its own words (``lookback=0`` where
the CLI says ``--lookback 0``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.errors import RnncastError, in_python

N = 80


def _frame() -> pd.DataFrame:
    dates = pd.date_range("2023-01-01", periods=N, freq="D").strftime("%Y-%m-%d")
    return pd.DataFrame({"date": dates, "y": np.linspace(10.0, 20.0, N), "x": np.arange(N) * 1.0})


def _csv(edit=None):
    def write(path: Path) -> Path:
        frame = _frame()
        if edit is not None:
            frame = edit(frame) if callable(edit) else frame
        frame.to_csv(path, index=False)
        return path

    return write


def _text(content: bytes | str, name: str = "data.csv"):
    def write(path: Path) -> Path:
        path = path.with_name(name)
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return write


def _set(column, row, value):
    def edit(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame

    return edit


def _every_other(column, change):
    def edit(frame):
        frame[column] = [change(v) if i % 2 else v for i, v in enumerate(frame[column])]
        return frame

    return edit


def _empty_parquet(path: Path) -> Path:
    path = path.with_name("data.parquet")
    _frame().iloc[:0].to_parquet(path)
    return path


def _directory(path: Path) -> Path:
    path.mkdir()
    return path


def _irregular(frame):
    days = np.sort(np.random.default_rng(0).choice(400, N, replace=False))
    frame["date"] = (pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")).strftime(
        "%Y-%m-%d"
    )
    return frame


ROWS = "date,y\n" + "".join(f"2023-01-{d:02d},{d}\n" for d in range(1, 29))
CASES = {
    # files
    "missing file": (lambda p: p, [], r"No such file: '.*data\.csv'\. Check the path"),
    "empty file": (_text(""), [], r"is empty; give a file with a header and rows"),
    "header only": (_text("date,y\n"), [], r"has a header but no rows of data"),
    "not UTF-8": (
        _text("date,y,caf\xe9\n2023-01-01,1,2\n".encode("latin-1")),
        [],
        r"is not UTF-8 text .*save it as UTF-8 CSV or as Parquet",
    ),
    "binary": (_text(bytes(range(256)) * 4), [], r"is a binary file, not CSV text"),
    "directory": (_directory, [], r"is a directory; give a CSV or Parquet file"),
    "Parquet with no rows": (_empty_parquet, [], r"has a header but no rows of data"),
    "ragged CSV": (
        _text(ROWS + "2023-01-29,1,2,3\n"),
        [],
        r"not a well-formed CSV file .*as many fields as the header",
    ),
    # columns
    "unknown target": (_csv(), ["--target", "Y"], r"Unknown target column 'Y'\. Did you mean 'y'"),
    "unknown feature": (_csv(), ["--features", "xx"], r"Unknown feature column 'xx'\. Did you"),
    "unparsable date": (
        _csv(_set("date", 5, "not a date")),
        [],
        r"Date column 'date' has a value that is not a date: 'not a date' \(row 7",
    ),
    "mixed date formats": (
        _csv(_every_other("date", lambda v: pd.Timestamp(v).strftime("%d/%m/%Y"))),
        [],
        r"mixes date formats: '2023-01-01' \(row 2 of the file\) and '02/01/2023' \(row 3\)",
    ),
    "time zones mixed with naive": (
        _csv(_every_other("date", lambda v: v + "T00:00:00+02:00")),
        [],
        r"mixes dates with a time zone \('2023-01-02T00:00:00\+02:00'\) and without",
    ),
    "duplicated column names": (
        _text("date,y,y\n" + "".join(f"2023-01-{d:02d},{d},{d}\n" for d in range(1, 29))),
        [],
        r"Column name 'y' appears more than once in the header .*\(columns 2 and 3\)",
    ),
    # values
    "non-numeric target": (
        _csv(_set("y", 7, "n/a?")),
        [],
        r"Column 'y' is not numeric: 'n/a\?' at 2023-01-08",
    ),
    "thousands separators": (
        _text("date,y\n" + "".join(f'2023-01-{d:02d},"1,{d:03d}"\n' for d in range(1, 29))),
        [],
        r"Column 'y' is not numeric: '1,001' .*no thousands separators",
    ),
    "all-NaN column": (_csv(_set("y", slice(None), np.nan)), [], r"Column 'y' has no values"),
    "inf": (_csv(_set("y", 9, np.inf)), [], r"Column 'y' holds an infinite value at 2023-01-10"),
    "float32 overflow": (
        _csv(lambda f: f.assign(y=f.y * 1e300)),
        [],
        r"Column 'y' holds 1e\+301 at 2023-01-01 00:00:00, beyond the float32 range",
    ),
    # time
    "duplicate timestamps": (
        _csv(lambda f: pd.concat([f, f.iloc[[10]]]).sort_index()),
        [],
        r"Date 2023-01-11 00:00:00 appears more than once in 'date' \(1 duplicates\)",
    ),
    "irregular gaps": (
        _csv(_irregular),
        [],
        r"irregularly spaced: the most common step, 1 day, is only 19% .*Resample",
    ),
    "series too short": (
        _csv(lambda f: f.iloc[:20]),
        ["--lookback", "30", "--no-pad"],
        r"training part has 14 rows but one window needs --lookback 30 \+ --horizon 1 = 31.*--pad",
    ),
    # options
    "lookback below 1": (_csv(), ["--lookback", "0"], r"--lookback must be >= 1, got 0"),
    "horizon below 1": (_csv(), ["--horizon", "0"], r"--horizon must be >= 1, got 0"),
    "epochs below 1": (_csv(), ["--epochs", "0"], r"--epochs must be >= 1, got 0"),
    "batch size below 1": (_csv(), ["--batch-size", "0"], r"--batch-size must be >= 1, got 0"),
    "no training rows": (
        _csv(),
        ["--test-size", "0.95"],
        r"--test-size 0\.95 and --val-size 0\.1 leave no training rows out of 80",
    ),
    "validation takes the rest": (
        _csv(),
        ["--test-size", "70", "--val-size", "20"],
        r"--val-size 20 takes all 10 remaining rows",
    ),
    "date split outside the data": (
        _csv(),
        ["--test-size", "2030-01-01"],
        r"--test-size date 2030-01-01 lies outside the data .*choose a date inside it",
    ),
    "recursive with features": (
        _csv(),
        ["--features", "x", "--strategy", "recursive"],
        r"--strategy recursive feeds the model its own predictions",
    ),
    "fallback without --id": (
        _csv(),
        ["--fallback", "seasonal-naive"],
        r"--fallback applies to many series in long format; it needs --id",
    ),
    "embed without --id": (_csv(), ["--embed", "4"], r"--embed applies to many series"),
    "no inputs at all": (_csv(), ["--no-target-history"], r"--no-target-history needs --features"),
    "interval without validation": (
        _csv(),
        ["--interval", "0.9", "--val-size", "0"],
        r"interval at level 0\.9 is calibrated on the validation part, which gives 0 windows",
    ),
}


def _cli_args(args: list[str]) -> list[str]:
    """A tiny fit's options, then the case's own (a case's --lookback replaces the default)."""
    lookback = [] if "--lookback" in args else ["--lookback", "5"]
    return ["--units", "4", "--epochs", "1", *lookback, *args, "-q"]


@pytest.mark.parametrize("case", list(CASES))
def test_cli_says_what_is_wrong_in_one_line(tmp_path, case):
    build, args, message = CASES[case]
    data = build(tmp_path / "data.csv")
    out = tmp_path / "run"
    target = [] if "--target" in args else ["--target", "y"]
    result = CliRunner().invoke(
        app, ["fit", str(data), *target, *_cli_args(args), "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())  # the console wraps long lines
    assert text.startswith("Error: ") and "Traceback" not in text
    assert "`" not in text, "a Python keyword in a CLI error"
    import re

    assert re.search(message, text), text
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".run")] == []


API_SETTINGS = {
    "--lookback": "lookback",
    "--horizon": "horizon",
    "--epochs": "epochs",
    "--batch-size": "batch_size",
    "--test-size": "test_size",
    "--val-size": "val_size",
    "--strategy": "strategy",
    "--fallback": "fallback",
    "--embed": "embed",
    "--interval": "interval",
}


def _api_call(args: list[str]) -> tuple[dict, dict]:
    settings, fit = {"units": 4, "epochs": 1, "lookback": 5}, {"target": "y"}
    it = iter(args)
    for flag in it:
        if flag in ("--no-target-history", "--no-pad"):
            settings[flag[5:].replace("-", "_")] = False
        elif flag in ("--target", "--features"):
            fit[flag[2:]] = next(it)
        else:
            value = next(it)
            settings[API_SETTINGS[flag]] = int(value) if value.isdigit() else value
    for key in ("test_size", "val_size", "interval"):
        if isinstance(settings.get(key), str) and settings[key][0] == "0":
            settings[key] = float(settings[key])
    return settings, fit


@pytest.mark.parametrize("case", list(CASES))
def test_api_raises_the_same_message(tmp_path, case):
    build, args, message = CASES[case]
    data = build(tmp_path / "data.csv")
    settings, fit = _api_call(args)
    with pytest.raises(RnncastError, match=in_python(message)) as caught:  # the API's words
        Forecaster(**settings).fit(str(data), **fit)
    assert " --" not in str(caught.value), "an option of the CLI in a Python error"
