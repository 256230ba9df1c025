"""Messy tables read as a person meant them: a BOM, padded names, calendars with gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import TINY
from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.data.load import load
from rnncast.errors import DataError


def test_a_bom_does_not_hide_a_duplicate_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffdemand,date,demand\n1,2024-01-01,2\n".encode())
    with pytest.raises(DataError, match="'demand' appears more than once"):
        load(str(path), target="demand")
    result = CliRunner().invoke(app, ["fit", str(path), "--target", "demand"])
    assert result.exit_code == 2 and "appears more than once" in result.stderr


def test_a_bom_before_a_single_name_is_no_part_of_it(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffdate,y\n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n".encode())
    assert load(str(path), target="y").date == "date"


def test_names_padded_with_spaces_are_stripped_and_said(tmp_path):
    path = tmp_path / "pad.csv"
    path.write_text(" date , sales \n2024-01-01,1\n2024-01-02,2\n2024-01-03,3\n")
    data = load(str(path), target="sales")
    assert list(data.frame.columns) == ["sales"] and data.date == "date"
    assert any("spaces around column names ' date ', ' sales '" in n for n in data.notes)
    clash = pd.DataFrame({"date": ["2024-01-01"], "y": [1.0], " y": [2.0]})
    with pytest.raises(DataError, match="are the same name once the spaces"):
        load(clash, target="y")


def _series(dates: pd.DatetimeIndex) -> pd.DataFrame:
    t = np.arange(len(dates))
    return pd.DataFrame({"date": dates, "y": 10 + np.sin(2 * np.pi * t / 12) + 0.01 * t})


@pytest.mark.parametrize(
    "dates, freq, on_calendar",
    [
        (
            pd.date_range("2015-01-01", periods=60, freq="MS").delete([7, 30]),
            "MS",
            "is_month_start",
        ),
        (pd.bdate_range("2024-01-01", periods=120).delete([10, 55]), "B", "weekday"),
        (pd.date_range("2005-01-01", periods=48, freq="QS").delete(9), "QS", "is_quarter_start"),
    ],
)
def test_calendars_with_gaps_keep_their_calendar_in_the_forecast(dates, freq, on_calendar):
    data = load(_series(dates), target="y")
    assert data.freq.startswith(freq)
    assert any(f"({freq}) with" in note and "missing" in note for note in data.notes)
    assert len(data.frame) == len(dates)  # gaps are counted, never filled in
    f = Forecaster(**{**TINY, "lookback": 4}).fit(_series(dates), target="y")
    future = pd.DatetimeIndex(f.forecast(steps=10)["date"])
    if on_calendar == "weekday":
        assert (future.day_of_week < 5).all() and future[0] > dates[-1]
    else:
        assert getattr(future, on_calendar).all()


def test_repeated_dates_of_long_format_data_suggest_the_id_column(tmp_path):
    dates = list(pd.date_range("2020-01-01", periods=40, freq="D")) * 3
    frame = pd.DataFrame({"date": dates, "store": np.repeat(["a", "b", "c"], 40)})
    frame["sales"] = np.arange(120.0)
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(
        app, ["fit", str(path), "--target", "sales", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "80 duplicates" in text and "pass --id naming that column ('store')" in text
    frame["store"] = "a"  # true duplicates: no column tells them apart, no hint
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(
        app, ["fit", str(path), "--target", "sales", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 2 and "--id" not in result.output
