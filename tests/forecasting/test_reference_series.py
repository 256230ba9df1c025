"""Reference series: more series that train a global model but are never forecast nor scored."""

import json
import os
import signal

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.errors import ConfigError, DataError, RunError
from rnncast.persistence.checkpoint import TrainingInterrupted

SETTINGS = dict(
    model="gru",
    units=16,
    lookback=12,
    epochs=20,
    lr=5e-3,
    batch_size=128,
    test_size=12,
    val_size=6,
    seed=0,
)
OWN = [f"item{k:03d}" for k in (1, 2, 3)]


@pytest.fixture(scope="module")
def tables(panel_frame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three series to forecast, and 56 like them (the same seasonal shape) to learn from."""
    data = panel_frame[panel_frame["item"].isin(OWN)]
    reference = panel_frame[panel_frame["item"].isin([f"item{k:03d}" for k in range(4, 60)])]
    return data, reference


@pytest.fixture(scope="module")
def fitted(tables) -> Forecaster:
    data, reference = tables
    return Forecaster(**SETTINGS).fit(data, target="sales", id="item", reference=reference)


def test_reference_series_teach_what_three_series_cannot(fitted, tables):
    alone = Forecaster(**SETTINGS).fit(tables[0], target="sales", id="item")
    mase = {
        name: f.metrics_["test"]["recursive"]["model"]["mase"]
        for name, f in (("alone", alone), ("with", fitted))
    }
    assert mase["with"] < 0.2 * mase["alone"], mase
    assert fitted.history_.train_windows > 10 * alone.history_.train_windows


def test_only_the_datas_series_are_forecast_and_scored(fitted):
    assert len(fitted.data_.reference) == 56 and fitted.data_.n_series == 59
    assert [fitted.data_.ids[g] for g in fitted.usable_] == OWN
    m = fitted.metrics_
    assert (m["n_series"], m["n_series_used"], m["n_series_scored"]) == (3, 3, 3)
    assert m["n_series_reference"] == 56 and m["n_series_skipped"] == 0
    assert m["n_test"] == 3 * 12
    assert list(m["series"]["item"]) == OWN
    forecast = fitted.forecast(6)
    assert sorted(forecast["item"].unique()) == OWN and len(forecast) == 18


def test_the_fallback_forecasts_no_reference_series(tables):
    data, reference = tables
    settings = dict(SETTINGS, epochs=1, fallback="seasonal-naive")
    f = Forecaster(**settings).fit(data, target="sales", id="item", reference=reference)
    assert sorted(f.forecast(6)["item"].unique()) == OWN


def test_their_later_rows_neither_train_nor_judge_the_model(tables):
    """Reference rows in the validation and test parts' place may hold anything: the model
    and its validation loss (which picks the epoch kept) are the same."""
    data, reference = tables
    wild = reference.copy()
    last = wild.groupby("item")["month"].transform(lambda d: d.rank(ascending=False) <= 18)
    wild.loc[last, "sales"] *= 1000
    settings = dict(SETTINGS, epochs=3)
    a = Forecaster(**settings).fit(data, target="sales", id="item", reference=reference)
    b = Forecaster(**settings).fit(data, target="sales", id="item", reference=wild)
    assert len(a.history_.val_loss) == 3 and a.history_.val_loss == b.history_.val_loss
    pd.testing.assert_frame_equal(a.forecast(6), b.forecast(6))
    wild.loc[~last & (wild["month"] == wild["month"].min()), "sales"] *= 1000  # a training row
    c = Forecaster(**settings).fit(data, target="sales", id="item", reference=wild)
    assert not np.allclose(a.forecast(6)["sales"], c.forecast(6)["sales"])


def test_saved_and_loaded_runs_keep_them_apart(fitted, tmp_path):
    run = tmp_path / "run"
    g = Forecaster.load(fitted.save(str(run)))
    assert g.data_.reference == fitted.data_.reference
    pd.testing.assert_frame_equal(g.forecast(6), fitted.forecast(6))
    config = json.loads((run / "config.json").read_text())
    config["data"]["reference_series"] = ["no-such-series"]
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="data.reference_series"):
        Forecaster.load(str(run))


def test_new_observations_of_reference_series_are_left_out(fitted, panel_frame):
    newer = panel_frame[panel_frame["item"].isin(["item001", "item004"])]
    forecast = fitted.forecast(3, data=newer)
    assert list(forecast["item"].unique()) == ["item001"]
    scored = fitted.evaluate(data=newer, since="2021-01-01")
    assert scored["n_series_scored"] == 1
    with pytest.raises(DataError, match="only reference series"):
        fitted.evaluate(data=panel_frame[panel_frame["item"] == "item004"], since="2021-01-01")


def test_bad_reference_tables_get_one_line(tables):
    data, reference = tables
    f = Forecaster(**dict(SETTINGS, epochs=1))
    with pytest.raises(ConfigError, match="Reference series need .id"):
        f.fit(data, target="sales", reference=reference)
    with pytest.raises(DataError, match="'item001' is in the data and in the reference"):
        f.fit(data, target="sales", id="item", reference=pd.concat([reference, data]))
    with pytest.raises(DataError, match="lacks column 'sales'"):
        f.fit(data, target="sales", id="item", reference=reference.rename(columns={"sales": "x"}))
    with pytest.raises(DataError, match="reference table has no rows"):
        f.fit(data, target="sales", id="item", reference=reference.iloc[:0])
    blank = reference.reset_index(drop=True)
    blank.loc[4, "item"] = None
    with pytest.raises(DataError, match="empty in row 6 of the reference table"):
        f.fit(data, target="sales", id="item", reference=blank)
    short = data.sort_values("month").groupby("item").head(20)  # too short: none to forecast
    with pytest.raises(DataError, match="none is left to forecast"):
        f.fit(short, target="sales", id="item", reference=reference)


def test_a_resume_needs_the_same_reference_table(tmp_path, tables):
    data, reference = tables

    def interrupt(epoch, *_):
        os.kill(os.getpid(), signal.SIGTERM)

    ckpt = str(tmp_path / "run")
    settings = dict(SETTINGS, epochs=3)
    with pytest.raises(TrainingInterrupted):
        Forecaster(**settings).fit(
            data, "sales", id="item", reference=reference, on_epoch=interrupt, checkpoint=ckpt
        )
    with pytest.raises(ConfigError, match=r"pass the same reference table: .*reference="):
        Forecaster.resume(ckpt, data=data)
    resumed = Forecaster.resume(ckpt, data=data, reference=reference)
    whole = Forecaster(**settings).fit(data, target="sales", id="item", reference=reference)
    assert resumed.data_.reference == whole.data_.reference
    pd.testing.assert_frame_equal(resumed.forecast(6), whole.forecast(6))


def test_the_command_line_learns_from_a_reference_file(tables, tmp_path):
    data, reference = tables
    data.to_csv(tmp_path / "data.csv", index=False)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    out = tmp_path / "run"
    args = ["fit", tmp_path / "data.csv", "--target", "sales", "--id", "item", "--quiet"]
    args += ["--model", "gru", "--units", "8", "--epochs", "2", "--lookback", "12"]
    args += ["--test-size", "12", "--forecast", "4", "--out", out]
    result = CliRunner().invoke(app, [str(a) for a in args + ["--reference", "reference.csv"]])
    assert result.exit_code != 0  # a path is read as given, not from the data's folder
    assert result.output.count("\n") == 1 and "reference.csv" in result.output
    assert not out.exists()
    args += ["--reference", tmp_path / "reference.csv"]
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert "3 of 3 used (and 56 reference series, learned from only)" in result.output
    forecast = pd.read_csv(out / "forecast.csv")
    assert sorted(forecast["item"].unique()) == OWN
    assert "reference series (learned from only)</td><td>56" in (out / "report.html").read_text()
    config = json.loads((out / "config.json").read_text())
    assert len(config["data"]["reference_series"]) == 56
    assert config["data"]["reference"]["sha256"] and config["data"]["reference"]["path"]


def test_tune_trains_every_trial_on_them_too(tables, tmp_path):
    data, reference = tables
    data.to_csv(tmp_path / "data.csv", index=False)
    reference.to_csv(tmp_path / "reference.csv", index=False)
    args = ["tune", tmp_path / "data.csv", "--target", "sales", "--id", "item", "--quiet"]
    args += ["--model", "gru", "--epochs", "2", "--trials", "1", "--test-size", "12"]
    args += ["--val-size", "6", "--lookback", "12"]
    loss = {}
    for name, extra in (("alone", []), ("with", ["--reference", tmp_path / "reference.csv"])):
        out = tmp_path / name
        result = CliRunner().invoke(app, [str(a) for a in [*args, *extra, "--out", out]])
        assert result.exit_code == 0, result.output
        best = json.loads((out / "best.json").read_text())
        loss[name] = best["best_val_loss"]
        assert (
            best["settings"]
            == json.loads((tmp_path / "alone" / "best.json").read_text())["settings"]
        )
    assert loss["with"] != loss["alone"]
