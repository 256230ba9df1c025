"""Forecasting from what is known now: inputs known ahead (the user's, calendar, holidays),
future values from a file or from rows after the data, and newer observations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from rnncast import Forecaster
from rnncast.errors import ConfigError, DataError, RnncastError, RunError
from rnncast.evaluation.modes import roll_forward
from rnncast.persistence.checkpoint import TrainingInterrupted
from rnncast.studies.compare import compare_models
from rnncast.studies.tuning import tune

FAST = dict(model="gru", units=12, lookback=8, epochs=60, lr=0.01, batch_size=32, seed=0)


def promotions(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Daily sales that are 10 on a plain day and 30 on a promotion day: the promotion is
    random, so only a model told the future promotions can forecast the jumps."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n) < 0.3).astype(float)
    return pd.DataFrame(
        {
            "date": pd.date_range("2023-01-01", periods=n, freq="D"),
            "sales": 10 + 20 * promo,
            "promo": promo,
        }
    )


@pytest.fixture(scope="module")
def with_promo():
    return Forecaster(**FAST, horizon=3).fit(promotions(), target="sales", known="promo")


def _rmse(metrics, mode):
    return metrics["test"][mode]["model"]["rmse"]


def test_a_known_input_is_read_for_the_dates_forecast(with_promo):
    """Told the promotions, the free-running forecast finds the jumps; without them it
    cannot, and neither can the seasonal naive forecast."""
    without = Forecaster(**FAST, horizon=3).fit(promotions(), target="sales")
    known, blind = with_promo.metrics_, without.metrics_
    assert _rmse(known, "recursive") < 2.0 < 6.0 < _rmse(blind, "recursive")
    assert _rmse(known, "recursive") < known["test"]["recursive"]["seasonal_naive"]["rmse"] / 4


def test_future_rows_of_the_data_file_are_the_future_part(with_promo):
    """Rows with the target empty after the last observation are never filled or scored:
    the model is the same, and their known values drive the forecast."""
    frame = promotions(314)
    frame.loc[300:, "sales"] = np.nan
    f = Forecaster(**FAST, horizon=3).fit(frame, target="sales", known="promo")
    assert len(f.data_.frame) == 300 and f.data_.missing_filled == 0
    for mode in ("one_step", "recursive"):
        assert _rmse(f.metrics_, mode) == _rmse(with_promo.metrics_, mode)
    assert f.metrics_["n_test"] == with_promo.metrics_["n_test"]
    forecast = f.forecast(14)
    assert forecast["date"].iloc[0] == pd.Timestamp("2023-10-28")  # the day after the last sale
    promo = frame["promo"].to_numpy()[300:]
    np.testing.assert_allclose(forecast["sales"], 10 + 20 * promo, atol=3.0)
    future = frame.iloc[300:][["date", "promo"]]
    pd.testing.assert_frame_equal(with_promo.forecast(14, future=future), forecast)


def test_a_forecast_without_future_values_is_refused_naming_the_date(with_promo):
    with pytest.raises(DataError, match=r"'promo' on the 5 dates 2023-10-28 .. 2023-11-01; "):
        with_promo.forecast(5)
    short = pd.DataFrame({"date": pd.date_range("2023-10-28", periods=3), "promo": 1.0})
    with pytest.raises(DataError, match="it has no value on 2023-10-31"):
        with_promo.forecast(5, future=short)
    gap = pd.DataFrame({"date": pd.to_datetime(["2023-10-28", "2023-10-30"]), "promo": 1.0})
    with pytest.raises(DataError, match="Future date 2023-10-30 should be 2023-10-29"):
        with_promo.forecast(2, future=gap)
    text = short.astype({"promo": object}).assign(promo=["1", "yes", "0"])
    with pytest.raises(DataError, match="future value of 'promo' on 2023-10-29 is not a number"):
        with_promo.forecast(3, future=text)
    with pytest.raises(DataError, match="The future file has no column 'promo'"):
        with_promo.forecast(3, future=short.rename(columns={"promo": "promotion"}))


@pytest.mark.parametrize("strategy, horizon", [("direct", 3), ("recursive", 3), ("seq2seq", 3)])
def test_every_strategy_forecasts_with_known_inputs(strategy, horizon):
    frame = promotions(200)
    f = Forecaster(**{**FAST, "epochs": 2}, horizon=horizon, strategy=strategy).fit(
        frame, target="sales", known="promo", calendar="dow"
    )
    for mode in ("one_step", "recursive"):  # test parts of 20 rows: a last partial block
        assert np.isfinite(_rmse(f.metrics_, mode))
    future = pd.DataFrame({"date": pd.date_range("2023-07-20", periods=10), "promo": 0.0})
    out = f.forecast(10, future=future)
    assert len(out) == 10 and np.isfinite(out["sales"]).all()


def test_scalers_of_known_columns_see_training_rows_only():
    frame = promotions(200).assign(temp=np.arange(200.0))
    f = Forecaster(**{**FAST, "epochs": 1}).fit(frame, target="sales", known="temp")
    column = f.data_.columns.index("temp")
    n_train = f.split_.n_train
    assert f.predictor_.scaler.shift_[0][column] == 0.0
    assert f.predictor_.scaler.scale_[0][column] == pytest.approx(n_train - 1)


def test_calendar_and_holidays_are_made_for_any_date(tmp_path):
    frame = promotions(200)
    f = Forecaster(**{**FAST, "epochs": 1}).fit(
        frame, target="sales", calendar="auto", holidays="US"
    )
    assert f.data_.known == ("dow_sin", "dow_cos", "doy_sin", "doy_cos", "holiday")
    july4 = f.data_.frame.loc["2023-07-04", "holiday"]
    assert july4 == 1.0 and f.data_.frame.loc["2023-07-05", "holiday"] == 0.0
    out = f.forecast(30)  # no file needed
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(30), out)
    with pytest.raises(ConfigError, match="'XX': Country XX not available"):
        Forecaster(**FAST).fit(frame, target="sales", holidays="XX")
    with pytest.raises(ConfigError, match="Unknown calendar part 'dayofweek'"):
        Forecaster(**FAST).fit(frame, target="sales", calendar="dayofweek")


def test_forecast_from_newer_observations(with_promo):
    frame = promotions(300)
    future = pd.DataFrame({"date": pd.date_range("2023-10-28", periods=3), "promo": 1.0})
    latest = with_promo.forecast(3, future=future)
    pd.testing.assert_frame_equal(
        with_promo.forecast(3, data=frame.tail(40), future=future), latest
    )
    later = promotions(310, seed=0)  # ten more days: the forecast starts after them
    nxt = pd.DataFrame({"date": pd.date_range("2023-11-07", periods=3), "promo": 0.0})
    out = with_promo.forecast(3, data=later, future=nxt)
    assert out["date"].iloc[0] == pd.Timestamp("2023-11-07")
    np.testing.assert_allclose(out["sales"], 10.0, atol=3.0)
    with pytest.raises(RnncastError, match="Only 5 rows precede the forecast origin"):
        with_promo.forecast(3, data=frame.tail(5), future=future)
    weekly = frame.iloc[::7]
    with pytest.raises(DataError, match="frequency is 'W-SUN', the model's 'D'"):
        with_promo.forecast(3, data=weekly, future=future)


def test_forecast_from_newer_observations_of_many_series():
    frames = [promotions(120, seed=s).assign(shop=f"s{s}") for s in range(3)]
    panel = pd.concat(frames, ignore_index=True)
    f = Forecaster(**{**FAST, "epochs": 3}).fit(panel, target="sales", id="shop", known="promo")
    future = pd.concat(
        [
            pd.DataFrame({"date": pd.date_range("2023-05-01", periods=2), "promo": 1.0, "shop": s})
            for s in ("s0", "s1", "s2")
        ]
    )
    newer = panel[panel["shop"] != "s1"]
    out = f.forecast(2, data=newer, future=future)
    assert out["shop"].tolist() == ["s0", "s0", "s2", "s2"]
    pd.testing.assert_frame_equal(
        out[out["shop"] == "s2"].reset_index(drop=True),
        f.forecast(2, future=future).query("shop == 's2'").reset_index(drop=True),
    )
    with pytest.raises(DataError, match="'promo' of series 's1' on the 2 dates"):
        f.forecast(2, future=future[future["shop"] != "s1"])
    with pytest.raises(DataError, match="Series 'zz' of the new data is not one the model knows"):
        f.forecast(2, data=frames[0].assign(shop="zz"), future=future)


def test_the_last_block_ends_at_the_last_step():
    """With align_end no window reads a row past the rows forecast: a known value ahead
    that is not there (NaN) would make the forecast NaN."""
    values = np.zeros((12, 2), dtype=np.float32)
    values[:, 0] = np.arange(12)
    values[6:, 0] = np.nan  # known column: unknown from row 6 on

    def predict(window):  # (B, L, F) -> (B, 3, 1): the last known value, three times
        return np.repeat(window[:, -1:, :1], 3, axis=1)

    out = roll_forward(values, 2, 7, predict, 2, 3, [0, 1], [1], align_end=True)
    assert np.isfinite(out).all() and out.shape == (7, 1)
    blind = roll_forward(values, 2, 7, predict, 2, 3, [0, 1], [1])
    assert np.isnan(blind).any()  # without it the last block reads the unknown rows


@pytest.mark.slow  # four processes, each importing torch
def test_cli_known_inputs_end_to_end(tmp_path):
    frame = promotions(120)
    frame.loc[110:, "sales"] = np.nan
    data = tmp_path / "sales.csv"
    frame.to_csv(data, index=False)
    rnncast = [sys.executable, "-m", "rnncast"]
    fit = [*rnncast, "fit", str(data), "--target", "sales", "--epochs", "1", "-q"]
    run = tmp_path / "run"
    done = subprocess.run([*fit, "--known", "promo", "--forecast", "10", "--out", str(run)])
    assert done.returncode == 0 and len(pd.read_csv(run / "forecast.csv")) == 10
    out = tmp_path / "f.csv"
    refused = subprocess.run(
        [*rnncast, "forecast", str(run), "--steps", "3", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "'promo' on the 3 dates" in refused.stderr and not out.exists()
    future = tmp_path / "future.csv"
    frame.iloc[110:][["date", "promo"]].to_csv(future, index=False)
    ok = subprocess.run(
        [*rnncast, "forecast", str(run), "--steps", "3", "--future", str(future), "--out", str(out)]
    )
    assert ok.returncode == 0 and len(pd.read_csv(out)) == 3
    past = tmp_path / "past.csv"
    frame.iloc[:110].to_csv(past, index=False)  # the future only in the file
    again = [*rnncast, "fit", str(past), "--target", "sales", "--epochs", "1", "-q", "--known"]
    again += ["promo", "--forecast", "10", "--future", str(future), "--out", str(tmp_path / "b")]
    assert subprocess.run(again).returncode == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "b" / "forecast.csv"), pd.read_csv(run / "forecast.csv")
    )


@pytest.mark.slow  # subprocesses: the real exit code and stderr
def test_past_covariates_beyond_one_horizon_are_refused_before_training(tmp_path):
    frame = promotions(120)
    data = tmp_path / "sales.csv"
    frame.to_csv(data, index=False)
    args = ["fit", str(data), "--target", "sales", "--features", "promo", "--forecast", "14"]
    done = subprocess.run(
        [sys.executable, "-m", "rnncast", *args, "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Epoch" not in done.stdout
    assert "needs the future of --features promo" in done.stderr and "--known" in done.stderr
    assert not (tmp_path / "run").exists()


def test_predict_on_a_frame_returns_dated_steps_and_names_a_bad_row(daily_frame):
    f = Forecaster(**{**FAST, "epochs": 1}, horizon=3).fit(daily_frame, target="y", features="x")
    window = daily_frame.iloc[50:58]
    out = f.predict(window)
    assert out.columns.tolist() == ["date", "y"]
    assert out["date"].tolist() == list(pd.date_range(window["date"].iloc[-1], periods=4)[1:])
    np.testing.assert_array_equal(out["y"], f.predict(window[["x", "y"]].to_numpy())[0, :, 0])
    holed = window.copy()
    holed.loc[holed.index[3], "x"] = np.nan
    with pytest.raises(DataError, match=r"nan in column 'x' at row 53; every value"):
        f.predict(holed)
    arrays = window[["x", "y"]].to_numpy()[None].repeat(2, axis=0)
    arrays[1, 6, 1] = np.inf
    with pytest.raises(DataError, match=r"inf in column 'y' at window 1, row 6"):
        f.predict(arrays)


def test_predict_refuses_a_model_with_known_inputs(with_promo):
    with pytest.raises(ConfigError, match="reads known future inputs"):
        with_promo.predict(promotions().tail(8))


def test_evaluate_scores_only_rows_the_model_never_learned_from(with_promo):
    later = promotions(330)  # thirty more days than the fit saw
    m = with_promo.evaluate(later)
    first = with_promo.data_.frame.index[with_promo.split_.n_train]
    assert m["scored"] == {"from": str(first.date()), "to": "2023-11-26", "rows": 330 - 210}
    m = with_promo.evaluate(later, since="2023-10-28")
    assert m["scored"]["rows"] == 30 and m["n_train"] == 300
    with pytest.raises(
        DataError, match=r"needs 8 rows before it \(`lookback`\); the new data has 5"
    ):
        with_promo.evaluate(later.tail(40), since=later["date"].iloc[-35])
    with pytest.raises(ConfigError, match="since=5 is not a date"):
        with_promo.evaluate(later, since=5)
    with pytest.raises(ConfigError, match="`since` applies to new data"):
        with_promo.evaluate(since="2023-10-28")


def test_evaluate_newer_observations_of_many_series():
    frames = [promotions(120, seed=s).assign(shop=f"s{s}") for s in range(3)]
    f = Forecaster(**{**FAST, "epochs": 2}).fit(
        pd.concat(frames, ignore_index=True), target="sales", id="shop", known="promo"
    )
    newer = pd.concat([promotions(150, seed=s).assign(shop=f"s{s}") for s in (0, 2)])
    m = f.evaluate(newer, since="2023-04-20")
    assert m["n_series_scored"] == 2 and m["scored"]["rows"] == 2 * 41
    assert m["scored"]["from"] == "2023-04-20" and m["scored"]["to"] == "2023-05-30"
    assert m["series"]["shop"].tolist() == ["s0", "s2"]


def test_an_interrupted_fit_with_known_inputs_resumes_to_the_same_weights(tmp_path):
    data = tmp_path / "sales.csv"
    promotions(150).to_csv(data, index=False)
    inputs = dict(target="sales", known="promo", calendar="dow", holidays="US")
    settings = {**FAST, "epochs": 4}
    whole = Forecaster(**settings).fit(str(data), **inputs)

    def interrupt(epoch, train_loss, val_loss):
        if epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)

    ckpt = tmp_path / "ckpt"
    with pytest.raises(TrainingInterrupted):
        Forecaster(**settings).fit(str(data), on_epoch=interrupt, checkpoint=str(ckpt), **inputs)
    resumed = Forecaster.resume(str(ckpt))
    assert resumed.data_.known == whole.data_.known
    for a, b in zip(
        whole.predictor_.net.state_dict().values(),
        resumed.predictor_.net.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b)


def test_compare_backtest_and_tune_feed_the_recorded_known_values(tmp_path):
    frame = promotions(200)
    result = compare_models(
        frame,
        "sales",
        ["gru"],
        {**FAST, "epochs": 30, "horizon": 3},
        folds=2,
        known={"known": "promo", "calendar": "dow"},
    )
    assert any(
        "known inputs (promo, dow_sin, dow_cos) take their recorded" in n for n in result.notes
    )
    assert all(f.data_.known == ("promo", "dow_sin", "dow_cos") for f in result.fitted)
    board = result.leaderboard
    model, seasonal = board.loc[["gru", "seasonal naive"], "recursive_rmse_mean"]
    assert model < seasonal / 2  # told the promotions, it wins in the free-running mode too
    study = tune(frame, "sales", {**FAST, "epochs": 2}, 1, str(tmp_path), known={"known": "promo"})
    assert len(study.trials) == 1 and study.trials[0].value is not None


def test_past_covariates_are_never_read_beyond_the_forecast_origin():
    """The free-running mode would need the past covariates' future: it is not scored, and
    says why; the same columns given as known are scored in both modes."""
    frame = promotions(200)
    past = Forecaster(**{**FAST, "epochs": 1}, horizon=3).fit(
        frame, target="sales", features="promo"
    )
    assert past.metrics_["test"]["recursive"] is None
    assert (
        "past covariates (--features) are known up to the forecast origin only"
        in (past.metrics_["recursive_note"])
    )
    assert past.test_forecasts().get("recursive") is None
    known = Forecaster(**{**FAST, "epochs": 1}, horizon=3).fit(frame, target="sales", known="promo")
    assert (
        known.metrics_["test"]["recursive"] is not None and "recursive_note" not in known.metrics_
    )


def shops(n_shops: int = 6, n: int = 120) -> pd.DataFrame:
    """Shops whose level is set by their size and kind, with a promotion on top."""
    rng = np.random.default_rng(1)
    frames = []
    for s in range(n_shops):
        size, kind = [1.0, 2.0, 3.0][s % 3], ["city", "mall"][s % 2]
        promo = (rng.random(n) < 0.3).astype(float)
        sales = 10 * size + (5 if kind == "mall" else 0) + 5 * promo + rng.normal(0, 0.3, n)
        frames.append(
            pd.DataFrame(
                {
                    "date": pd.date_range("2023-01-01", periods=n),
                    "shop": f"s{s}",
                    "sales": sales,
                    "promo": promo,
                    "size": size,
                    "kind": kind,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


STATIC = dict(FAST, epochs=80, scaler="none", target_history=False)


@pytest.fixture(scope="module")
def with_static():
    return Forecaster(**STATIC).fit(
        shops(), target="sales", id="shop", known="promo", static="size,kind"
    )


def test_static_covariates_tell_the_series_apart(with_static):
    """Fed only the promotions, a model cannot know a shop's level; told its size and kind
    (numbers and a category) it can."""
    blind = Forecaster(**STATIC).fit(shops(), target="sales", id="shop", known="promo")
    seen = with_static.metrics_["test"]["recursive"]["model"]["rmse"]
    assert seen < 1.5 < 5.0 < blind.metrics_["test"]["recursive"]["model"]["rmse"]
    assert with_static.data_.static == {"size": None, "kind": ["city", "mall"]}
    columns = ["size", "kind=city", "kind=mall"]
    assert with_static.data_.known == ("promo", *columns)
    minmax = Forecaster(**{**FAST, "epochs": 1}).fit(
        shops(), target="sales", id="shop", static="size,kind"
    )
    scaler, data = minmax.predictor_.scaler, minmax.data_
    cols = [data.columns.index(c) for c in columns]
    assert (scaler.shift_[:, cols] == scaler.shift_[0, cols]).all()  # one scale across series
    assert scaler.shift_[0, cols].tolist() == [1.0, 0.0, 0.0]  # not each series' own value
    assert scaler.scale_[0, cols].tolist() == [2.0, 1.0, 1.0]  # sizes 1..3, one-hot 0..1


def test_static_covariates_need_no_future_values_and_survive_save_and_load(with_static, tmp_path):
    future = pd.concat(
        pd.DataFrame(
            {"date": pd.date_range("2023-05-01", periods=2), "promo": 1.0, "shop": f"s{s}"}
        )
        for s in range(6)
    )
    out = with_static.forecast(2, future=future)
    expected = {"s0": 15, "s1": 30, "s2": 35, "s3": 20, "s4": 25, "s5": 40}  # level + promo
    for shop, level in expected.items():
        np.testing.assert_allclose(out.loc[out["shop"] == shop, "sales"], level, atol=2.0)
    g = Forecaster.load(with_static.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(2, future=future), out)
    newer = shops().query("shop == 's1'")
    np.testing.assert_allclose(
        g.forecast(2, data=newer, future=future)["sales"], out.query("shop == 's1'")["sales"]
    )
    with pytest.raises(DataError, match="Static column 'kind' holds 'kiosk', a category the model"):
        g.forecast(2, data=newer.assign(kind="kiosk"), future=future)


def test_static_covariates_are_checked():
    data = shops(2, 40)
    moving = data.assign(size=np.arange(len(data), dtype=float))
    with pytest.raises(DataError, match="Static column 'size' changes within series 's0'"):
        Forecaster(**STATIC).fit(moving, target="sales", id="shop", known="promo", static="size")
    holed = data.assign(kind=data["kind"].where(data.index != 3))
    with pytest.raises(DataError, match="Static column 'kind' is empty in row 5"):
        Forecaster(**STATIC).fit(holed, target="sales", id="shop", known="promo", static="kind")
    one = data.query("shop == 's0'")
    with pytest.raises(ConfigError, match="`static` gives each of many series its values"):
        Forecaster(**STATIC).fit(one, target="sales", known="promo", static="size")


def test_a_run_saved_before_known_inputs_still_loads(tmp_path, daily_frame):
    f = Forecaster(**{**FAST, "epochs": 1}).fit(daily_frame, target="y", features="x")
    run = tmp_path / "run"
    f.save(str(run))
    config = json.loads((run / "config.json").read_text())
    for key in ("known", "calendar", "holidays", "static"):
        del config["data"][key]  # as written before these roles existed
    (run / "config.json").write_text(json.dumps(config))
    pd.testing.assert_frame_equal(Forecaster.load(str(run)).forecast(1), f.forecast(1))
    config["data"]["calendar"] = ["weekday"]
    (run / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="names inputs rnncast does not make; the run is damaged"):
        Forecaster.load(str(run))


def test_a_short_future_file_is_refused_before_training(tmp_path):
    frame = promotions(120)
    data, future = tmp_path / "sales.csv", tmp_path / "ahead.csv"
    frame.to_csv(data, index=False)
    pd.DataFrame({"date": pd.date_range("2023-05-01", periods=10), "promo": 0.0}).to_csv(
        future, index=False
    )
    args = ["fit", str(data), "--target", "sales", "--known", "promo", "--forecast", "20"]
    args += ["--future", str(future), "--out", str(tmp_path / "run"), "--epochs", "500"]
    done = subprocess.run([sys.executable, "-m", "rnncast", *args], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("Error:") == 1
    assert "'promo' on the 20 dates 2023-05-01 .. 2023-05-20; it has no value on 2023-05-11" in (
        done.stderr
    )
    assert "Trained" not in done.stdout and not (tmp_path / "run").exists()


@pytest.mark.parametrize("strategy", ["direct", "recursive", "seq2seq"])
def test_many_series_with_known_inputs_in_every_strategy(strategy):
    panel = pd.concat([promotions(100, seed=s).assign(shop=f"s{s}") for s in range(3)])
    future = pd.concat(
        pd.DataFrame(
            {"date": pd.date_range("2023-04-11", periods=5), "promo": 1.0, "shop": f"s{s}"}
        )
        for s in range(3)
    )
    f = Forecaster(**{**FAST, "epochs": 1}, horizon=3, strategy=strategy, interval=0.8).fit(
        panel, target="sales", id="shop", known="promo", calendar="dow"
    )
    for mode in ("one_step", "recursive"):
        assert np.isfinite(f.metrics_["test"][mode]["model"]["rmse"])
    out = f.forecast(5, future=future)
    assert len(out) == 15 and np.isfinite(out[["sales", "lower", "upper"]].to_numpy()).all()


@pytest.mark.slow  # subprocesses: the real exit code and stderr
def test_cli_static_covariates_reach_the_fit(tmp_path):
    data = tmp_path / "shops.csv"
    shops().to_csv(data, index=False)
    rnncast = [sys.executable, "-m", "rnncast", "fit", str(data), "--target", "sales"]
    rnncast += ["--known", "promo", "--static", "size,kind", "--epochs", "1", "-q"]
    assert (
        subprocess.run([*rnncast, "--id", "shop", "--out", str(tmp_path / "run")]).returncode == 0
    )
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["static"] == {"size": None, "kind": ["city", "mall"]}
    alone = subprocess.run(
        [*rnncast, "--out", str(tmp_path / "one")], capture_output=True, text=True
    )
    assert alone.returncode == 2 and "--static gives each of many series its values" in (
        alone.stderr
    )
