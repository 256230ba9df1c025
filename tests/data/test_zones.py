"""Dates with a time zone: held in UTC, calendar columns and splits read in the data's own
zone, and every date that leaves rnncast (forecasts, summaries, plots) written in it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rnncast import Forecaster
from rnncast.data.ahead import Known
from rnncast.data.dates import parse_dates
from rnncast.data.prepare import prepare
from rnncast.errors import DataError, RunError

TINY = dict(model="gru", units=4, epochs=1, lookback=6, batch_size=32, seed=0)


@pytest.mark.parametrize(
    "dates, zone",
    [
        (["2024-01-01T00:00+01:00", "2024-01-01T01:00+0100"], "+01:00"),
        (["2024-01-01T00:00Z", "2024-01-01T01:00Z"], "UTC"),
        (["2024-01-01T00:00-05:30", "2024-01-01T01:00-05:30"], "-05:30"),
        (["2024-03-31T01:00+01:00", "2024-03-31T03:00+02:00"], "UTC"),  # summer time
        (["2024-03-30T00:00+01:00", "2024-04-01T00:00+02:00"], None),  # days on their clock
        (["2024-01-01", "2024-01-02"], None),
    ],
)
def test_the_zone_of_text_dates(dates, zone):
    assert parse_dates(pd.Series(dates), "time", [])[1] == zone


def test_the_zone_of_a_column_with_one():
    column = pd.Series(pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Berlin"))
    assert parse_dates(column, "time", [])[1] == "Europe/Berlin"
    assert parse_dates(pd.Series(pd.date_range("2024-01-01", periods=3)), "time", [])[1] is None


def hourly(zone_text: str = "+02:00", n: int = 24 * 20) -> pd.DataFrame:
    """Hourly values that peak at 06:00 on the local clock, written with an offset."""
    clock = pd.date_range("2024-06-01", periods=n, freq="h")
    return pd.DataFrame(
        {
            "time": clock.strftime("%Y-%m-%dT%H:%M:%S") + zone_text,
            "load": 100 + 10 * np.sin(2 * np.pi * (clock.hour - 0) / 24),
        }
    )


def test_dates_are_held_in_utc_and_the_calendar_reads_the_local_clock():
    data = prepare(hourly(), "load", known=_calendar(("hour",)))
    assert data.zone == "+02:00"
    assert data.frame.index[0] == pd.Timestamp("2024-05-31 22:00")  # UTC, without a zone
    first, last = data.first_last()
    assert str(first) == "2024-06-01 00:00:00+02:00" and str(last) == "2024-06-20 23:00:00+02:00"
    local_hour = np.arange(len(data.frame)) % 24
    np.testing.assert_allclose(data.frame["hour_sin"], np.sin(2 * np.pi * local_hour / 24))
    ahead = data.known_ahead(3)  # the dates after the data: 00:00, 01:00, 02:00 local
    np.testing.assert_allclose(ahead[:, 0], np.sin(2 * np.pi * np.arange(3) / 24), atol=1e-12)


def test_a_holiday_falls_on_its_local_date():
    """Christmas at midnight in Melbourne is 13:00 on the 24th in UTC: the holiday column
    marks the row of the 25th as the clock there reads it."""
    days = pd.date_range("2023-12-20", periods=10, freq="D", tz="Australia/Melbourne")
    frame = pd.DataFrame({"date": days, "y": np.arange(10.0)})
    data = prepare(frame, "y", known=_calendar((), holidays="AU-VIC"))
    marked = data.local(data.frame.index[data.frame["holiday"] == 1.0])
    assert [d.strftime("%m-%d") for d in marked] == ["12-25", "12-26"]


def test_a_split_date_is_read_in_the_data_zone():
    days = pd.date_range("2024-01-01", periods=60, freq="D", tz="+10:00")
    frame = pd.DataFrame({"date": days, "y": np.sin(np.arange(60.0))})
    f = Forecaster(**TINY, test_size="2024-02-20", val_size=5).fit(frame, "y")
    first_test = f.data_.local(f.data_.frame.index)[f.split_.test_start]
    assert str(first_test) == "2024-02-20 00:00:00+10:00"


def test_forecast_dates_keep_the_zone_through_summer_time(tmp_path):
    """Data ending just before Berlin's clocks go forward: the forecast's dates step from
    +01:00 to +02:00 and skip 02:00, as the clock there does."""
    times = pd.date_range(end="2024-03-31 01:00", periods=200, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame({"time": times, "load": np.cos(np.arange(200) / 5.0)})
    f = Forecaster(**TINY, horizon=3).fit(frame, "load")
    dates = f.forecast(3)["time"]
    assert [str(d) for d in dates] == [
        "2024-03-31 03:00:00+02:00",
        "2024-03-31 04:00:00+02:00",
        "2024-03-31 05:00:00+02:00",
    ]
    assert (dates.iloc[0] - times[-1]) == pd.Timedelta(hours=1)  # one hour later, truly
    f.save(tmp_path / "run", forecast_steps=3)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["data"]["zone"] == (
        "Europe/Berlin"
    )
    written = (tmp_path / "run" / "forecast.csv").read_text().splitlines()
    assert written[1].startswith("2024-03-31T03:00:00+02:00,")
    again = Forecaster.load(tmp_path / "run")
    pd.testing.assert_frame_equal(again.forecast(3), f.forecast(3))
    pred = again.predictions()
    assert str(pred.index[-1]) == "2024-03-31 01:00:00+01:00"


def test_new_data_must_give_its_dates_the_same_way():
    f = Forecaster(**TINY).fit(hourly(), "load")
    naive = hourly().assign(time=lambda d: d["time"].str[:-6])
    with pytest.raises(DataError, match="without a time zone, the model's were in time zone"):
        f.forecast(data=naive)
    other = hourly("+00:00")  # another offset: the same moments are compared, in UTC
    assert str(f.forecast(2, data=other)["time"].iloc[0]) == "2024-06-21 02:00:00+02:00"
    hours = Forecaster(**TINY).fit(hourly(), "load", calendar="hour")
    with pytest.raises(DataError, match="whose clock its calendar inputs read; write them in"):
        hours.forecast(data=other)  # its hour of day would be read two hours off


@pytest.mark.parametrize("zone", ["../../etc/passwd", "Nowhere/City", "", 3])
def test_a_run_with_an_unknown_zone_is_refused(tmp_path, zone):
    Forecaster(**TINY).fit(hourly(), "load").save(tmp_path / "run")
    path = tmp_path / "run" / "config.json"
    config = json.loads(path.read_text())
    config["data"]["zone"] = zone
    path.write_text(json.dumps(config))
    with pytest.raises(RunError, match="zone"):
        Forecaster.load(tmp_path / "run")


def test_plots_draw_the_local_clock_and_name_the_zone():
    from rnncast.reports.plots import forecast_figure

    f = Forecaster(**TINY, horizon=2).fit(hourly(), "load")
    ax = forecast_figure(f, f.forecast(2)).axes[0]
    assert ax.get_xlabel() == "time (time zone +02:00)"
    history = ax.get_lines()[0]
    last = pd.Timestamp(history.get_xdata()[-1])
    assert last == pd.Timestamp("2024-06-20 23:00")  # the local clock, not 21:00 UTC


def test_cli_writes_forecast_dates_with_their_offset(tmp_path):
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    hourly().to_csv(tmp_path / "load.csv", index=False)
    run, out = tmp_path / "run", tmp_path / "f.csv"
    fit = ["fit", str(tmp_path / "load.csv"), "--target", "load", "--epochs", "1", "--model"]
    fit += ["gru", "--units", "4", "--lookback", "6", "-q", "--out", str(run)]
    assert CliRunner().invoke(app, fit).exit_code == 0
    done = CliRunner().invoke(app, ["forecast", str(run), "--steps", "2", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:3]] == [
        "2024-06-21T00:00:00+02:00",
        "2024-06-21T01:00:00+02:00",
    ]


def _calendar(parts, holidays=None):
    from rnncast.data.ahead import Known

    return Known.of(calendar=parts, holidays=holidays)


def test_evaluate_since_a_date_on_the_local_clock():
    """--since 2024-06-18 of hourly data in +02:00 starts at local midnight, 22:00 UTC."""
    f = Forecaster(**TINY, test_size=48, val_size=24).fit(hourly(), "load")
    scored = f.evaluate(data=hourly(), since="2024-06-18")["scored"]
    assert scored["from"] == "2024-06-18" and scored["rows"] == 3 * 24
    summer = f.evaluate(data=hourly(), since="2024-06-18T02:00+04:00")["scored"]
    assert summer["from"] == "2024-06-18" and summer["rows"] == 3 * 24  # the same moment


def test_the_backtest_plot_names_the_zone_as_the_rest_do(tmp_path, monkeypatch):
    from rnncast.reports import plots

    saved = []  # the figure as it is written (pyplot's current figure is closed by then)
    monkeypatch.setattr(plots, "_save", lambda fig, path: saved.append(fig))
    frame = prepare(hourly(), "load")
    local = frame.frame.set_axis(frame.local(frame.frame.index))
    plots.plot_backtest(local, [], "load", tmp_path / "b.png")
    assert saved[0].axes[0].get_xlabel() == "time (time zone +02:00)"


def test_future_values_with_local_dates_meet_the_data_zone():
    """A future file whose dates carry no zone is read on the data zone's clock, as the
    same file with offsets would be."""
    data = hourly().assign(plan=lambda d: np.arange(len(d)) % 5.0)
    f = Forecaster(**TINY, horizon=2).fit(data, "load", known="plan")
    local = pd.DataFrame({"time": ["2024-06-21 00:00", "2024-06-21 01:00"], "plan": [3.0, 4.0]})
    aware = local.assign(time=local["time"] + "+02:00")
    pd.testing.assert_frame_equal(f.forecast(2, future=local), f.forecast(2, future=aware))


def test_errors_name_our_own_dates_in_the_data_zone():
    """A date rnncast works out itself (the date a future row should have, the default
    --since) is named on the data zone's clock, as every output is, not in UTC."""
    data = hourly().assign(plan=lambda d: np.arange(len(d)) % 5.0)
    f = Forecaster(**TINY, horizon=2).fit(data, "load", known="plan")
    late = pd.DataFrame({"time": ["2024-06-21 01:00", "2024-06-21 02:00"], "plan": [3.0, 4.0]})
    with pytest.raises(DataError) as caught:
        f.forecast(2, future=late)
    assert "should be 2024-06-21:" in str(caught.value)  # local midnight: 22:00 in UTC
    assert "(2024-06-20 23:00:00+02:00)" in str(caught.value)
    with pytest.raises(DataError, match=r"1 rows from 2024-06-20 23:00:00\+02:00 on"):
        f.evaluate(data=data, since="2024-06-20 23:00")
    word = late.assign(time=["2024-06-21 00:00", "2024-06-21 01:00"], plan=["3", "many"])
    with pytest.raises(DataError, match=r"'plan' on 2024-06-21 01:00:00\+02:00 is not a number"):
        f.forecast(2, future=word)
    ahead = pd.concat([data, pd.DataFrame({"time": ["2024-06-21T00:00:00+02:00"], "plan": [1.0]})])
    notes = prepare(ahead, "load", known=Known.of("plan")).notes
    assert any("(from 2024-06-21)" in note for note in notes), notes  # local midnight


# Days, weeks and months are dates on a clock: summer time must not make their steps uneven,
# move them off their time of day, or push a month's first day back into the month before.


def daily(n: int = 400, start: str = "2020-01-01", zone: str = "Europe/Berlin") -> pd.DataFrame:
    """Daily values at local midnight in Berlin, written as pandas writes them to a CSV: each
    date with its own offset (+01:00 in winter, +02:00 in summer)."""
    days = pd.date_range(start, periods=n, freq="D", tz=zone)
    level = 100 + 10 * np.sin(2 * np.pi * np.arange(n) / 7)
    return pd.DataFrame({"date": days.strftime("%Y-%m-%dT%H:%M:%S%z"), "y": level})


def test_daily_dates_whose_offsets_change_are_read_on_their_own_clock():
    data = prepare(daily(), "y")
    assert data.freq == "D" and data.zone is None
    assert not any("not evenly spaced" in note for note in data.notes)
    assert any("own clock" in note and "+01:00, +02:00" in note for note in data.notes)
    assert data.frame.index[0] == pd.Timestamp("2020-01-01")  # not 23:00 the day before
    assert (data.frame.index == data.frame.index.normalize()).all()


def test_forecast_dates_of_daily_data_stay_at_midnight_through_summer_time(tmp_path):
    from typer.testing import CliRunner

    from rnncast.cli.app import app

    text = daily(n=300, start="2020-01-01")  # ends 2020-10-26, after the autumn change
    assert text["date"].iloc[-1] == "2020-10-26T00:00:00+0100"
    f = Forecaster(**TINY, members=1).fit(text, "y")
    assert [str(d) for d in f.forecast(2)["date"]] == ["2020-10-27 00:00:00", "2020-10-28 00:00:00"]
    spring = daily(n=88, start="2020-01-01")  # ends 2020-03-28: the forecast crosses a change
    f = Forecaster(**TINY, members=1, test_size=7, val_size=7).fit(spring, "y")
    assert [str(d.date()) for d in f.forecast(3)["date"]] == [
        "2020-03-29",
        "2020-03-30",
        "2020-03-31",
    ]
    text.to_csv(tmp_path / "d.csv", index=False)
    run, out = tmp_path / "run", tmp_path / "f.csv"
    fit = ["fit", str(tmp_path / "d.csv"), "--target", "y", "--epochs", "1", "--model", "gru"]
    fit += ["--units", "4", "--lookback", "6", "-q", "--out", str(run)]
    done = CliRunner().invoke(app, fit)
    assert done.exit_code == 0, done.output
    done = CliRunner().invoke(app, ["forecast", str(run), "--steps", "2", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:3]] == [
        "2020-10-27",
        "2020-10-28",
    ]


def test_new_daily_observations_in_one_offset_meet_a_model_read_on_its_own_clock():
    """Newer rows from one season carry one offset only; they are read on their own clock
    too, as are future values with offsets, so a model fitted on the CSV takes them."""
    f = Forecaster(**TINY, members=1).fit(daily(n=200), "y")  # 2020-01-01 .. 2020-07-18
    summer = daily(n=40, start="2020-07-19")  # every date +02:00
    assert set(summer["date"].str[-5:]) == {"+0200"}
    out = f.forecast(2, data=summer)
    assert [str(d) for d in out["date"]] == ["2020-08-28 00:00:00", "2020-08-29 00:00:00"]
    plain = summer.assign(date=lambda d: d["date"].str[:10])  # the same dates without offsets
    pd.testing.assert_frame_equal(out, f.forecast(2, data=plain))
    planned = daily(n=200).assign(plan=lambda d: np.arange(len(d)) % 3.0)
    g = Forecaster(**TINY, members=1, horizon=2).fit(planned, "y", known="plan")
    ahead = pd.DataFrame({"date": ["2020-07-19T00:00:00+0200", "2020-07-20T00:00:00+0200"]})
    ahead["plan"] = [2.0, 0.0]
    plain_ahead = ahead.assign(date=ahead["date"].str[:10])
    pd.testing.assert_frame_equal(g.forecast(2, future=ahead), g.forecast(2, future=plain_ahead))


def test_dates_with_an_offset_name_days_of_data_read_on_their_own_clock():
    """West of UTC, midnight of 10 June is 04:00 UTC: a split or --since date given with its
    offset names the day its own clock shows, as the dates of such data are read."""
    west = daily(n=200, zone="America/New_York")
    assert west["date"].iloc[170] == "2020-06-19T00:00:00-0400"
    split = dict(TINY, members=1, val_size=10)
    plain = Forecaster(**split, test_size="2020-06-10").fit(west, "y")
    offset = Forecaster(**split, test_size="2020-06-10T00:00-04:00").fit(west, "y")
    assert offset.split_.test_start == plain.split_.test_start
    f = Forecaster(**TINY, members=1).fit(west.iloc[:150], "y")
    day = f.evaluate(data=west, since="2020-06-10")["scored"]
    assert f.evaluate(data=west, since="2020-06-10T00:00-04:00")["scored"] == day
    assert day["from"] == "2020-06-10"


@pytest.mark.parametrize("freq, start", [("D", "2019-01-20"), ("MS", "2019-01-01")])
def test_a_named_zone_keeps_days_and_months_on_its_clock(freq, start):
    """A column with a zone (a DataFrame's, a Parquet file's) keeps it: the frequency is
    read on its clock (month starts, not the month ends that midnight in Berlin is in UTC)
    and future dates step on it through summer time."""
    dates = pd.date_range(start, periods=60, freq=freq, tz="Europe/Berlin")
    frame = pd.DataFrame({"date": dates, "y": 100 + np.sin(np.arange(60.0))})
    f = Forecaster(**TINY, members=1, test_size=6, val_size=6).fit(frame, "y")
    assert f.data_.freq == freq and f.data_.zone == "Europe/Berlin"
    ahead = f.forecast(12)["date"]
    expected = pd.date_range(dates[-1], periods=13, freq=freq)[1:]
    assert list(ahead) == list(expected)
    assert {(d.hour, d.minute) for d in ahead} == {(0, 0)}
    assert len({d.utcoffset() for d in ahead}) == 2  # the forecast crosses a change


def test_a_daily_time_that_summer_time_skips_or_repeats_is_one_moment():
    """Daily at 02:30 in Berlin: the spring day without 02:30 moves on to 03:00, the autumn
    day with two reads the second (winter time), and the days after keep 02:30."""
    from rnncast.data.dates import dates_after, localize

    spring = dates_after(pd.Timestamp("2020-03-27 01:30"), 3, "D", "Europe/Berlin")
    assert [str(d) for d in localize(spring, "Europe/Berlin")] == [
        "2020-03-28 02:30:00+01:00",
        "2020-03-29 03:00:00+02:00",
        "2020-03-30 02:30:00+02:00",
    ]
    autumn = dates_after(pd.Timestamp("2020-10-24 00:30"), 2, "D", "Europe/Berlin")
    assert [str(d) for d in localize(autumn, "Europe/Berlin")] == [
        "2020-10-25 02:30:00+01:00",
        "2020-10-26 02:30:00+01:00",
    ]
