"""The facade end to end: learning known answers, honesty of the split, persistence, dates."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import TINY
from rnncast import Forecaster, datasets, jobs
from rnncast.data.scaling import Scaler
from rnncast.errors import ConfigError, DataError, NotFittedError


@pytest.mark.parametrize("model", ["lstm", "gru"])
@pytest.mark.parametrize(
    "sequence, expected, tolerance",
    [(np.round(np.arange(1, 10) / 10, 1), 1.0, 0.04), (np.arange(3.0, 22.0, 2.0), 23.0, 0.8)],
)
def test_learns_the_classic_sequences(model, sequence, expected, tolerance):
    f = Forecaster(
        model=model,
        units=16,
        lookback=3,
        epochs=400,
        lr=0.01,
        batch_size=8,
        test_size=0,
        val_size=0,
        seed=0,
    )
    f.fit(pd.Series(sequence, name="y"), target="y")
    assert f.forecast(1)["y"].iloc[0] == pytest.approx(expected, abs=tolerance)


def test_beats_naive_by_far_on_a_noiseless_seasonal_series(seasonal_frame):
    f = Forecaster(
        model="lstm",
        units=16,
        lookback=12,
        epochs=150,
        lr=5e-3,
        patience=0,
        test_size=24,
        val_size=12,
        seed=0,
    ).fit(seasonal_frame, target="y")
    m = f.evaluate()
    for mode in ("one_step", "recursive"):
        assert m["test"][mode]["model"]["rmse"] < 0.25 * m["test"][mode]["naive"]["rmse"]
    assert m["skill_rmse"] > 0.75 and m["season"] == 12


def test_scaler_sees_training_rows_only(seasonal_frame):
    frame = seasonal_frame.copy()
    frame.loc[100:, "y"] = 1e6  # validation and test rows far outside the training range
    f = Forecaster(**TINY, test_size=10, val_size=10).fit(frame, target="y")
    train_rows = frame["y"].to_numpy()[: f.split_.n_train]
    expected = Scaler("minmax").fit(train_rows[:, None])
    assert f.split_.n_train == 100
    np.testing.assert_array_equal(f.predictor_.scaler.shift_, expected.shift_)
    np.testing.assert_array_equal(f.predictor_.scaler.scale_, expected.scale_)


def test_gaps_before_a_boundary_are_not_interpolated_from_later_parts(seasonal_frame, panel_frame):
    """A gap reaching the end of training is filled from training rows only; a gap inside
    training keeps its ordinary interpolation; the scaler then sees no later value."""
    frame = seasonal_frame.copy()
    frame.loc[100:, "y"] = 1e6  # validation and test far outside the training range
    frame.loc[[50, 97, 98, 99], "y"] = np.nan  # 97-99 reach the validation part at row 100
    f = Forecaster(**TINY, test_size=10, val_size=10).fit(frame, target="y")
    y = f.data_.frame["y"].to_numpy()
    assert y[97] == y[98] == y[99] == frame["y"][96]  # the last training value, carried on
    whole = frame.set_index("date")["y"].interpolate(method="time").to_numpy()
    assert y[50] == whole[50] and whole[99] > 1e5  # inside: as before; at the edge: no leak
    assert f.predictor_.scaler.scale_[0, 0] < 1e3  # no 1e6 reached the training rows
    assert any("from the rows before it only" in note for note in f.data_.notes)
    panel = panel_frame.copy()
    series = panel[panel["item"] == "item001"].sort_values("month")  # the rows are shuffled
    n = len(series)
    panel.loc[series.index[n - 13], "sales"] = np.nan  # its last training row
    g = Forecaster(**TINY, test_size=12, val_size=0).fit(panel, target="sales", id="item")
    rows = series["sales"].to_numpy()
    filled = g.data_.parts[g.data_.ids.index("item001")]["sales"].to_numpy()
    assert filled[n - 13] == rows[n - 14]


def test_no_validation_or_test_value_inside_a_training_window(monkeypatch):
    """Every value is unique, so a leaked row would show up in the training batches."""
    from rnncast.training import loop as training

    seen: list[np.ndarray] = []
    run_epoch = training._run_epoch

    def spy(net, windows, *args):
        gather = windows.batch

        def batch(rows):
            x, y, series = gather(rows)  # tensors on the training device
            seen.append(np.concatenate([x.cpu().numpy().ravel(), y.cpu().numpy().ravel()]))
            return x, y, series

        windows.batch = batch
        return run_epoch(net, windows, *args)

    monkeypatch.setattr(training, "_run_epoch", spy)
    values = np.arange(100, dtype=float) + 1.0  # value = row + 1
    f = Forecaster(
        model="dense",
        units=4,
        epochs=2,
        lookback=5,
        horizon=2,
        scaler="none",
        test_size=20,
        val_size=10,
        seed=0,
    )
    f.fit(pd.Series(values, name="y"), target="y")
    used = np.unique(np.concatenate(seen))
    assert used.max() == f.split_.n_train == 70  # only training rows reach a training window
    assert len(used) == 70


def test_same_seed_same_numbers_and_fit_twice_equals_fit_once(daily_frame):
    a = Forecaster(**TINY, dropout=0.2).fit(daily_frame, target="y")
    b = Forecaster(**TINY, dropout=0.2).fit(daily_frame, target="y")
    b.fit(daily_frame, target="y")
    assert a.history_.train_loss == b.history_.train_loss
    pd.testing.assert_frame_equal(a.forecast(5), b.forecast(5))
    c = Forecaster(**{**TINY, "seed": 1}).fit(daily_frame, target="y")
    assert not a.forecast(5).equals(c.forecast(5))


def test_forecast_dates_continue_the_series():
    monthly = pd.DataFrame(
        {"month": pd.date_range("2020-01-01", periods=48, freq="MS"), "v": np.arange(48.0)}
    )
    f = Forecaster(**TINY, test_size=6, val_size=0).fit(monthly, target="v")
    out = f.forecast(steps=3)
    assert out.columns.tolist() == ["month", "v"]
    assert out["month"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    business = pd.DataFrame({"d": pd.bdate_range("2024-01-01", periods=40), "v": np.arange(40.0)})
    f = Forecaster(**TINY, test_size=5, val_size=0).fit(business, target="v", date="d")
    assert f.data_.freq == "B"
    assert f.forecast(2)["d"].tolist() == list(pd.to_datetime(["2024-02-26", "2024-02-27"]))


def test_save_and_load_give_identical_predictions(tmp_path, daily_frame):
    f = Forecaster(**TINY, horizon=2).fit(daily_frame, target="y", features=["x"])
    path = f.save(str(tmp_path / "run"), forecast_steps=2)
    g = Forecaster.load(path)
    assert np.array_equal(f.forecast(2).to_numpy(), g.forecast(2).to_numpy())
    windows = np.random.default_rng(0).normal(50, 5, size=(4, TINY["lookback"], 2))
    assert np.array_equal(f.predict(windows), g.predict(windows))
    assert g.evaluate() == f.evaluate()
    # the loaded forecaster holds the settings as the data settled them, nothing left out
    assert g.config_ == f.config_ and g.config() == f.config_
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert files == {
        ".rnncast",  # marks the folder as rnncast's: --overwrite may replace it
        "config.json",
        "weights.safetensors",
        "scaler.json",
        "metrics.json",
        "history.csv",
        "series.csv",
        "forecast.csv",
    }  # plain run contents: plots and the report are drawn by jobs.save_run
    assert not list(tmp_path.glob(".run*"))  # no temporary directory left behind


def test_a_job_saves_the_run_with_plots_and_report_drawn_from_one_forecast(tmp_path, daily_frame):
    f = Forecaster(**TINY, horizon=2).fit(daily_frame, target="y")
    calls = []
    forecast = f.forecast
    f.forecast = lambda *args, **kw: calls.append(args) or forecast(*args, **kw)
    path = jobs.save_run(f, str(tmp_path / "run"), forecast_steps=3)
    assert len(calls) == 1  # forecast.csv and forecast.png show the same forecast
    files = {p.name for p in Path(path).iterdir()}
    assert {"forecast.csv", "loss.png", "fit.png", "forecast.png", "report.html"} <= files
    assert len(pd.read_csv(Path(path) / "forecast.csv")) == 3


def test_save_refuses_an_existing_run_unless_overwrite(tmp_path, daily_frame):
    f = Forecaster(**TINY).fit(daily_frame, target="y")
    path = f.save(str(tmp_path / "run"))
    message = r"already exists; choose another `path` or pass overwrite=True"
    with pytest.raises(Exception, match=message):
        f.save(path)
    f.save(path, overwrite=True)
    assert Forecaster.load(path).forecast(1).shape == (1, 2)


def test_features_with_and_without_target_history(daily_frame):
    f = Forecaster(**TINY, target_history=False).fit(daily_frame, target="y", features="x")
    assert f.predictor_.inputs == [0] and f.predictor_.net.blocks[0].rnn.input_size == 1
    g = Forecaster(**TINY).fit(daily_frame, target="y", features=["x"])
    assert g.predictor_.inputs == [0, 1]
    with pytest.raises(ConfigError, match="needs the future of `features` x, which are known"):
        g.forecast(steps=5)
    with pytest.raises(ConfigError, match="target_history=False needs `features`"):
        Forecaster(**TINY, target_history=False).fit(daily_frame, target="y")


def test_evaluate_on_new_data_uses_the_fitted_scaler(daily_frame):
    f = Forecaster(**TINY).fit(daily_frame, target="y")
    shifted = daily_frame.assign(y=daily_frame["y"] + 1000)
    m = f.evaluate(shifted)
    assert m["n_test"] == f.split_.n_val + f.split_.n_test  # the rows after training
    assert m["test"]["one_step"]["model"]["rmse"] > 100  # far outside what the scaler saw


def test_metrics_contract(daily_frame):
    m = Forecaster(**TINY).fit(daily_frame, target="y").evaluate()
    assert set(m) >= {
        "test",
        "skill_rmse",
        "season",
        "n_train",
        "n_val",
        "n_test",
        "train_seconds",
        "epochs_run",
        "train_windows",
    }
    for mode in ("one_step", "recursive"):
        assert set(m["test"][mode]) == {"model", "naive", "seasonal_naive", "by_step"}
        for who in ("model", "naive", "seasonal_naive"):
            assert set(m["test"][mode][who]) == {"rmse", "mae", "mape", "smape", "mase"}
    assert m["n_train"] + m["n_val"] + m["n_test"] == 200
    assert m["epochs_run"] == 3 and m["train_windows"] == 3 * (m["n_train"] - TINY["lookback"])
    rmse = m["test"]["one_step"]
    assert m["skill_rmse"] == pytest.approx(1 - rmse["model"]["rmse"] / rmse["naive"]["rmse"])


def test_early_stopping_restores_the_best_epoch(seasonal_frame):
    f = Forecaster(**{**TINY, "epochs": 60}, lr=0.05, patience=3).fit(seasonal_frame, target="y")
    h = f.history_
    assert h.epochs_run < 60 and "no validation improvement" in h.stop_reason
    assert h.val_loss[h.best_epoch - 1] == min(h.val_loss)


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_optimizers_and_losses_train(daily_frame, optimizer, loss):
    f = Forecaster(**{**TINY, "epochs": 2}, optimizer=optimizer, loss=loss, lr=0.01)
    assert np.isfinite(f.fit(daily_frame, target="y").history_.train_loss).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lookback": 150}, "needs lookback=150 \\+ horizon=1"),
        ({"test_size": 0.95}, "leave no training rows"),
        ({"horizon": 30, "test_size": 20}, "fewer than horizon=30"),
    ],
)
def test_too_little_data(daily_frame, kwargs, message):
    with pytest.raises((DataError, ConfigError), match=message):
        Forecaster(**{**TINY, **kwargs}).fit(daily_frame, target="y")


def test_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        Forecaster().forecast(3)


def test_real_bundled_price_series_runs_and_is_scored():
    f = Forecaster(**TINY).fit(datasets.load("bitcoin"), target="close", date="date")
    assert f.data_.missing_filled == 4 and f.data_.freq == "D" and f.season_ == 7
    m = f.evaluate()["test"]["one_step"]
    assert m["naive"]["rmse"] > 0 and m["model"]["rmse"] > 0


def test_verbose_shows_progress_per_epoch(daily_frame, capsys):
    Forecaster(**TINY, verbose=True).fit(daily_frame, target="y")
    shown = capsys.readouterr().out
    assert "epoch" in shown and "3/3" in shown and "val loss" in shown
    Forecaster(**TINY).fit(daily_frame, target="y")
    assert capsys.readouterr().out == ""


def test_huge_values_and_constant_columns(daily_frame):
    with pytest.raises(DataError, match="beyond the float32 range"):
        Forecaster(**TINY).fit(daily_frame.assign(y=daily_frame["y"] * 1e37), target="y")
    tiny = np.where(np.arange(200) < 140, np.random.default_rng(0).normal(size=200) * 1e-40, 1.0)
    with pytest.raises(DataError, match="too large for float32 after scaling"):
        Forecaster(**TINY).fit(daily_frame.assign(y=tiny), target="y")  # scale ~1e-40
    huge = daily_frame.assign(y=daily_frame["y"] * 1e36)
    f = Forecaster(**TINY).fit(huge, target="y")  # min-max scaling brings them in range
    assert np.isfinite(f.metrics_["test"]["one_step"]["model"]["rmse"])
    flat = daily_frame.assign(x=3.0)
    g = Forecaster(**TINY).fit(flat, target="y", features=["x"])
    assert any("'x' is constant over the training rows" in n for n in g.data_.notes)


def test_a_refit_that_fails_in_training_leaves_the_last_fit_whole(daily_frame):
    """``on_prepared`` sees the new data before training; if that training then fails, the
    forecaster keeps the previous fit's settings, data and network together."""
    f = Forecaster(**TINY).fit(daily_frame, "y")
    before = (f.config_, f.data_, f.predictor_, f.metrics_)
    expected = f.forecast(5)
    seen = []

    def stop(*_):
        raise KeyboardInterrupt

    f.set_params(lookback=TINY["lookback"] + 2)
    with pytest.raises(KeyboardInterrupt):
        f.fit(daily_frame.iloc[:-20], "y", on_prepared=seen.append, on_epoch=stop)
    assert seen and seen[0].config_.lookback == TINY["lookback"] + 2  # the new data were shown
    after = (f.config_, f.data_, f.predictor_, f.metrics_)
    assert all(a is b for a, b in zip(after, before, strict=True))
    pd.testing.assert_frame_equal(f.forecast(5), expected)


def test_a_series_needs_no_target():
    frame = datasets.load("airline")
    series = pd.Series(
        frame["passengers"].to_numpy(), pd.to_datetime(frame["month"]), name="passengers"
    )
    f = Forecaster(**{**TINY, "epochs": 1}).fit(series)
    assert f.data_.targets == ("passengers",) and f.season_ == 12
    assert len(f.forecast(3)) == 3
