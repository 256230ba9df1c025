"""Wide tables: one column per series beside the date, read as long format (--wide)."""

import json
import os
import signal

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.data.load import long_from_wide
from rnncast.datasets import load as bundled
from rnncast.errors import ConfigError, DataError, RunError
from rnncast.persistence.checkpoint import TrainingInterrupted

SETTINGS = dict(model="gru", units=8, lookback=12, epochs=2, test_size=12, val_size=0, seed=0)


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """The bundled US electricity generation: a date and three series (total, commercial,
    industrial), monthly, 2001-01 to 2022-03; the commercial series starts a year late."""
    table = bundled("electricity")
    table.loc[:11, "commercial"] = np.nan
    return table


def test_each_column_becomes_a_series_from_its_first_value_to_its_last():
    table = pd.DataFrame(
        {
            "month": ["2024-01", "2024-02", "2024-03", "2024-04"],
            "north": [None, 1.0, None, 3.0],  # a blank before, one between
            "south": [4.0, 5.0, 6.0, None],  # a blank after
            "empty": [None] * 4,
        }
    )
    long = long_from_wide(table, "month", "region", "sales")
    assert list(long.columns) == ["region", "month", "sales"]
    north = long[long.region == "north"]
    assert north.month.tolist() == ["2024-02", "2024-03", "2024-04"]
    assert np.isnan(north.sales.iloc[1])  # kept for the missing-value policy, never trimmed
    assert long[long.region == "south"].month.tolist() == ["2024-01", "2024-02", "2024-03"]
    assert "empty" not in set(long.region)
    no_dates = long_from_wide(table.drop(columns="month"), None, "region", "sales")
    assert list(no_dates.columns) == ["region", "sales"] and len(no_dates) == 6


def test_a_wide_table_fits_as_its_long_format_does(wide):
    long = wide.melt(id_vars="date", var_name="sector", value_name="gwh").dropna()
    a = Forecaster(**SETTINGS).fit(wide, target="gwh", id="sector", wide=True)
    b = Forecaster(**SETTINGS).fit(long, target="gwh", id="sector")
    assert a.data_.ids == ("commercial", "industrial", "total") and a.data_.wide
    assert len(a.data_.series(0).frame) == len(wide) - 12  # from its first value
    pd.testing.assert_frame_equal(a.forecast(6), b.forecast(6))
    assert any("wide table" in note for note in a.data_.notes)


def test_reference_series_in_a_wide_table_too(wide):
    data, reference = wide[["date", "total"]], wide[["date", "commercial", "industrial"]]
    f = Forecaster(**SETTINGS).fit(data, "gwh", id="sector", wide=True, reference=reference)
    assert f.data_.reference == ("commercial", "industrial")
    assert f.forecast(3)["sector"].unique().tolist() == ["total"]


def test_bad_wide_options_get_one_line(wide):
    f = Forecaster(**SETTINGS)
    with pytest.raises(ConfigError, match="`wide` needs `id`"):
        f.fit(wide, target="gwh", wide=True)
    with pytest.raises(ConfigError, match="`target` is one name"):
        f.fit(wide, target="gwh,mwh", id="sector", wide=True)
    with pytest.raises(ConfigError, match="takes no `features`"):
        f.fit(wide, target="gwh", id="sector", wide=True, features="total")
    with pytest.raises(DataError, match="already has a column 'total'"):
        f.fit(wide, target="total", id="sector", wide=True)
    with pytest.raises(DataError, match="Unknown date column 'dates' .*Did you mean 'date'"):
        f.fit(wide, target="gwh", id="sector", wide=True, date="dates")
    with pytest.raises(
        DataError, match="Column 'note' of the wide data is not numeric: 'x' in row 5"
    ):
        f.fit(wide.assign(note=[None] * 3 + ["x"] * 252), target="gwh", id="sector", wide=True)
    twice = wide.rename(columns={"industrial": "commercial"})
    with pytest.raises(DataError, match="'commercial' appears more than once"):
        f.fit(twice, target="gwh", id="sector", wide=True)
    with pytest.raises(DataError, match="no column besides the date"):
        f.fit(wide[["date"]], target="gwh", id="sector", wide=True)


def test_the_command_line_reads_wide_files_for_fit_forecast_and_evaluate(wide, tmp_path):
    wide.iloc[:-6].to_csv(tmp_path / "old.csv", index=False)
    wide.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "run"
    args = ["fit", tmp_path / "old.csv", "--wide", "--id", "sector", "--target", "gwh"]
    args += ["--model", "gru", "--units", "8", "--epochs", "2", "--lookback", "12"]
    args += ["--test-size", "12", "--quiet", "--forecast", "3"]
    result = CliRunner().invoke(app, [str(a) for a in [*args[:2], *args[3:], "--out", out]])
    assert (
        result.exit_code != 0
        and "Unknown id column 'sector'. (One column per series? Add --wide.)" in result.output
    )
    assert result.output.count("\n") == 1 and not out.exists()
    no_id = [a for a in args if a not in ("--id", "sector")]
    result = CliRunner().invoke(app, [str(a) for a in [*no_id, "--out", out]])
    assert result.exit_code != 0 and result.output.startswith("Error: --wide needs --id")
    assert result.output.count("\n") == 1 and not out.exists()
    result = CliRunner().invoke(app, [str(a) for a in [*args, "--out", out]])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["data"]["wide"] is True
    assert pd.read_csv(out / "forecast.csv")["date"].iloc[0] == "2021-10-01"
    # newer observations are a wide file as well: read as the fit read its data
    newer = CliRunner().invoke(app, ["forecast", str(out), "--data", str(tmp_path / "new.csv")])
    assert newer.exit_code == 0, newer.output
    forecast = Forecaster.load(str(out)).forecast(3, data=str(tmp_path / "new.csv"))
    assert forecast["date"].min() == pd.Timestamp("2022-04-01")
    assert sorted(forecast["sector"].unique()) == ["commercial", "industrial", "total"]
    wide.assign(residential=wide["total"] / 3).to_csv(tmp_path / "more.csv", index=False)
    more = CliRunner().invoke(app, ["forecast", str(out), "--data", str(tmp_path / "more.csv")])
    assert more.exit_code != 0 and more.output.count("\n") == 1
    assert "Column 'residential' of the new wide table is a series the model" in more.output
    scored = CliRunner().invoke(app, ["evaluate", str(out), "--data", str(tmp_path / "new.csv")])
    assert scored.exit_code == 0, scored.output
    config = json.loads((out / "config.json").read_text())
    config["data"]["wide"] = "yes"
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="data.wide"):
        Forecaster.load(str(out))


def test_a_wide_fit_resumes_from_its_file(wide, tmp_path):
    wide.to_csv(tmp_path / "wide.csv", index=False)

    def interrupt(epoch, *_):
        os.kill(os.getpid(), signal.SIGTERM)

    ckpt = str(tmp_path / "run")
    settings = dict(SETTINGS, epochs=3)
    data = str(tmp_path / "wide.csv")
    with pytest.raises(TrainingInterrupted):
        Forecaster(**settings).fit(
            data, "gwh", id="sector", wide=True, on_epoch=interrupt, checkpoint=ckpt
        )
    resumed = Forecaster.resume(ckpt)
    whole = Forecaster(**settings).fit(data, "gwh", id="sector", wide=True)
    assert resumed.data_.wide
    pd.testing.assert_frame_equal(resumed.forecast(6), whole.forecast(6))


def test_tune_reads_a_wide_file(wide, tmp_path):
    wide.to_csv(tmp_path / "wide.csv", index=False)
    args = ["tune", tmp_path / "wide.csv", "--wide", "--id", "sector", "--target", "gwh"]
    args += ["--model", "gru", "--epochs", "1", "--trials", "1", "--test-size", "12"]
    args += ["--val-size", "12", "--lookback", "12", "--quiet", "--out", tmp_path / "tune"]
    long = [a for a in args if a != "--wide"][:-1] + [tmp_path / "long"]
    result = CliRunner().invoke(app, [str(a) for a in long])
    assert result.exit_code != 0 and "Unknown id column 'sector'" in result.output
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    best = json.loads((tmp_path / "tune" / "best.json").read_text())
    assert best["trials"] == 1 and best["test"]["model"]["mase"] > 0


def test_a_wide_forecast_is_the_long_one_a_column_per_series(wide):
    # the industrial series ends two months early: its forecast starts two months early
    table = wide.assign(industrial=wide["industrial"].where(wide.index < len(wide) - 2))
    f = Forecaster(**dict(SETTINGS, val_size=12)).fit(table, "gwh", id="sector", wide=True)
    long = f.forecast(3, interval=0.8)
    out = f.forecast(3, interval=0.8, wide=True)
    head = ["date", "commercial", "commercial_lower", "commercial_upper", "industrial"]
    assert out.columns.tolist()[:5] == head and len(out.columns) == 10
    assert out["date"].tolist() == list(pd.date_range("2022-02-01", periods=5, freq="MS"))
    for sector in ("commercial", "industrial", "total"):
        mine = long[long.sector == sector]
        row = out.set_index("date").loc[mine["date"]]
        np.testing.assert_array_equal(row[sector], mine["gwh"])
        np.testing.assert_array_equal(row[f"{sector}_upper"], mine["upper"])
    # nothing is made up for the dates a series has no forecast for
    assert out["industrial"].isna().tolist() == [False] * 3 + [True] * 2
    assert out["total"].isna().tolist() == [True] * 2 + [False] * 3
    # what comes out wide, --wide reads back as the long forecast
    back = long_from_wide(f.forecast(3, wide=True), "date", "sector", "gwh")
    expected = long.drop(columns=["lower", "upper", "forecast_by"])
    pd.testing.assert_frame_equal(back.reset_index(drop=True), expected[back.columns])


def test_a_wide_forecast_is_refused_where_it_cannot_be_laid_out(wide):
    one = Forecaster(**SETTINGS).fit(wide, target="total", date="date")
    with pytest.raises(ConfigError, match="this model forecasts one series: leave out `wide`"):
        one.forecast(3, wide=True)
    clash = wide.assign(total_upper=wide["total"] / 2)
    f = Forecaster(**dict(SETTINGS, val_size=12)).fit(clash, "gwh", id="sector", wide=True)
    assert "total_upper" in f.forecast(2, wide=True).columns  # a series' own column
    with pytest.raises(ConfigError, match="two columns named 'total_upper'"):
        f.forecast(2, interval=0.8, wide=True)


def test_the_command_line_writes_a_wide_forecast(wide, tmp_path):
    # a series too short for the model is forecast by the fallback, and the output says so
    table = wide.assign(new=wide["total"].where(wide.index >= len(wide) - 16) / 10)
    table.to_csv(tmp_path / "wide.csv", index=False)
    args = ["fit", tmp_path / "wide.csv", "--wide", "--id", "sector", "--target", "gwh"]
    args += ["--model", "gru", "--units", "8", "--epochs", "1", "--lookback", "12"]
    args += ["--test-size", "12", "--fallback", "seasonal-naive", "--quiet", "--out"]
    result = CliRunner().invoke(app, [str(a) for a in [*args, tmp_path / "run"]])
    assert result.exit_code == 0, result.output
    out = tmp_path / "forecast.csv"
    command = ["forecast", str(tmp_path / "run"), "--steps", "2", "--wide-out"]
    result = CliRunner().invoke(app, [*command, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "seasonal-naive fallback (too short for the model): new." in result.output
    written = pd.read_csv(out)
    assert written.columns.tolist() == ["date", "commercial", "industrial", "new", "total"]
    long = Forecaster.load(str(tmp_path / "run")).forecast(2)
    assert written["new"].tolist() == long.loc[long.sector == "new", "gwh"].tolist()
    # a run of one series: one line, nothing written
    one = Forecaster(**SETTINGS).fit(wide, target="total", date="date")
    one.save(str(tmp_path / "one"))
    result = CliRunner().invoke(
        app, ["forecast", str(tmp_path / "one"), "--wide-out", "--out", str(tmp_path / "one.csv")]
    )
    assert result.exit_code != 0 and result.output.count("\n") == 1
    assert "this model forecasts one series: leave out --wide-out" in result.output
    assert not (tmp_path / "one.csv").exists()
