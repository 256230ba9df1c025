"""Many series in long format: one global model, a scaler per series, nothing crossing series."""

import numpy as np
import pandas as pd
import pytest

from rnncast import Forecaster
from rnncast.data.scaling import Scaler
from rnncast.errors import DataError, RunError
from rnncast.forecasting.panel import recursive_tests
from rnncast.persistence.runs import read_series_metrics

SETTINGS = dict(
    model="gru",
    units=16,
    lookback=12,
    epochs=4,
    lr=5e-3,
    batch_size=128,
    test_size=12,
    val_size=6,
    seed=0,
)


@pytest.fixture(scope="module")
def fitted(panel_frame) -> Forecaster:
    return Forecaster(**SETTINGS, fallback="seasonal-naive").fit(
        panel_frame, target="sales", id="item"
    )


def test_series_are_split_scaled_and_skipped_one_by_one(fitted, panel_frame):
    data = fitted.data_
    assert data.n_series == 300 and data.id_column == "item"
    short = [f"item{k:03d}" for k in range(0, 300, 50)]
    assert [data.ids[g] for g in range(300) if g not in fitted.usable_] == short
    assert fitted.metrics_["n_series_skipped"] == 6 and fitted.metrics_["n_series_used"] == 294
    for g in (1, 77, 299):
        rows = data.series(g).frame["sales"].to_numpy()[: fitted.splits_[g].n_train, None]
        expected = Scaler("minmax").fit(rows)
        np.testing.assert_array_equal(fitted.predictor_.scaler.shift_[g], expected.shift_[0])
        np.testing.assert_array_equal(fitted.predictor_.scaler.scale_[g], expected.scale_[0])


def test_no_training_window_crosses_two_series(fitted):
    from rnncast.forecasting import panel

    f = fitted
    values, spans, val = panel.training_origins(f.predictor_, f.data_, f.splits_, f.usable_, 1)
    train = np.asarray(spans)
    owner = spans.group(np.arange(len(spans)))
    lengths = [len(fitted.data_.series(g).frame) for g in fitted.usable_]
    starts = np.cumsum([0] + lengths)
    series_of = np.searchsorted(starts, np.arange(len(values)), side="right") - 1
    first, last = train - fitted.config_.lookback, train  # rows read and row predicted
    assert np.array_equal(series_of[first], series_of[last])
    assert np.array_equal(np.asarray(fitted.usable_)[series_of[last]], owner)
    assert len(train) == sum(n - 12 - 6 - 12 for n in lengths)  # n_train - lookback per series


def test_forecasts_every_series_in_long_format(fitted):
    out = fitted.forecast(3)
    assert out.columns.tolist() == ["item", "month", "sales", "forecast_by"]
    assert out["item"].nunique() == 300 and len(out) == 900
    fallback = out[out["forecast_by"] != "model"]
    assert set(fallback["item"]) == {f"item{k:03d}" for k in range(0, 300, 50)}
    assert out[out["item"] == "item001"]["month"].tolist() == list(
        pd.date_range("2022-01-01", periods=3, freq="MS")
    )
    stacked = pd.concat(fitted.data_.parts).assign(
        item=np.repeat(fitted.data_.ids, np.diff(fitted.data_.bounds))
    )
    without = Forecaster(**{**SETTINGS, "epochs": 1}).fit(
        stacked.reset_index(), target="sales", id="item"
    )
    assert without.forecast(1)["item"].nunique() == 294  # short series left out


def test_scores_per_series_and_aggregated(fitted):
    m = fitted.metrics_
    assert len(m["series"]) == 294 and m["series"]["item"].is_unique
    mases = m["series"]["one_step.model.mase"].to_numpy()
    assert m["aggregate"]["mean_mase"] == pytest.approx(np.mean(mases))
    assert 0 <= m["aggregate"]["share_beating_seasonal_naive"] <= 1
    assert m["test"]["one_step"]["model"]["mase"] == pytest.approx(np.mean(mases))


def test_global_model_beats_naive_across_series(fitted):
    one_step = fitted.metrics_["test"]["one_step"]
    assert one_step["model"]["mase"] < 0.6 * one_step["naive"]["mase"]


def test_save_load_and_predict_by_series(fitted, tmp_path, panel_frame):
    g = Forecaster.load(fitted.save(str(tmp_path / "run")))
    assert "series" not in g.metrics_  # per-series scores stay in their own file
    per = read_series_metrics(tmp_path / "run")
    pd.testing.assert_frame_equal(per, fitted.metrics_["series"], check_dtype=False)
    (tmp_path / "run" / "series_metrics.csv").write_text("item,one_step.model.rmse\nitem001,x\n")
    with pytest.raises(RunError, match="series_metrics.csv in .* is not what rnncast writes"):
        read_series_metrics(tmp_path / "run")
    pd.testing.assert_frame_equal(g.forecast(2), fitted.forecast(2))
    window = panel_frame[panel_frame["item"] == "item005"].sort_values("month")["sales"]
    window = window.to_numpy()[-12:, None]
    assert np.array_equal(
        g.predict(window, series="item005"), fitted.predict(window, series="item005")
    )
    with pytest.raises(DataError, match="Unknown series 'nope'"):
        g.predict(window, series="nope")


def test_errors(panel_frame):
    with pytest.raises(DataError, match="Unknown id column 'itme'. Did you mean 'item'"):
        Forecaster(**SETTINGS).fit(panel_frame, target="sales", id="itme")
    with pytest.raises(DataError, match="No series is long enough"):
        Forecaster(**{**SETTINGS, "lookback": 40}).fit(panel_frame, target="sales", id="item")
    dup = pd.concat([panel_frame, panel_frame.head(1)])
    with pytest.raises(DataError, match="Series 'item.*appears more than once"):
        Forecaster(**SETTINGS).fit(dup, target="sales", id="item")
    empty = panel_frame.assign(sales=panel_frame["sales"].where(panel_frame["item"] != "item007"))
    with pytest.raises(DataError, match="Series 'item007': Column 'sales' has no values at all"):
        Forecaster(**SETTINGS).fit(empty, target="sales", id="item")
    text = panel_frame.astype({"sales": object})
    text.iloc[3, text.columns.get_loc("sales")] = "12,5 EUR"
    with pytest.raises(DataError, match="Column 'sales' is not numeric: '12,5 EUR' in row 5 "):
        Forecaster(**SETTINGS).fit(text, target="sales", id="item")


@pytest.mark.slow
def test_series_embedding(panel_frame, tmp_path):
    f = Forecaster(**SETTINGS, embed=3).fit(panel_frame, target="sales", id="item")
    assert f.predictor_.net.embedding.weight.shape == (300, 3)
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(2), f.forecast(2))
    scaled = np.full((1, 12, 1), 0.5, dtype=np.float32)  # one scaled window, two series
    assert not np.array_equal(
        f.predictor_.run(scaled, 1), f.predictor_.run(scaled, 2)
    )  # told apart
    few = panel_frame[panel_frame["item"].isin([f"item{k:03d}" for k in range(1, 6)])]
    plain = Forecaster(**SETTINGS).fit(few, target="sales", id="item")
    assert np.array_equal(plain.predictor_.run(scaled, 1), plain.predictor_.run(scaled, 2))
    assert "series embedding of 3" in f.predictor_.net.spec


@pytest.mark.slow
def test_parquet_is_read_series_by_series_in_batches(panel_frame, tmp_path):
    from rnncast.data.io import parquet_series

    path = tmp_path / "panel.parquet"
    panel_frame.assign(extra="unused").to_parquet(path, row_group_size=500)
    series = parquet_series(path, "item", ["month", "sales"], batch_rows=700)
    assert len(series) == 300 and list(series["item001"].columns) == ["month", "sales"]
    f = Forecaster(**{**SETTINGS, "epochs": 1}).fit(
        str(path), target="sales", date="month", id="item"
    )
    g = Forecaster(**{**SETTINGS, "epochs": 1}).fit(panel_frame, target="sales", id="item")
    for a, b in zip(f.data_.parts, g.data_.parts, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert f.data_.frame is None  # never one pandas frame for the whole panel
    with pytest.raises(DataError, match="Unknown column 'sale'. Did you mean 'sales'"):
        parquet_series(path, "item", ["sale"])


def test_final_fit_on_everything_forecasts_every_long_enough_series(panel_frame):
    f = Forecaster(**{**SETTINGS, "epochs": 1, "test_size": 0, "val_size": 0})
    f.fit(panel_frame, target="sales", id="item")
    assert f.metrics_["test"] is None and f.history_.epochs_run == 1
    assert len(f.usable_) == 294  # the six 10-point series have no window of 12 + 1 rows
    assert f.forecast(2)["item"].nunique() == 294


@pytest.mark.parametrize("embed", [0, 3])
def test_series_rolled_forward_together_equal_one_by_one(panel_frame, embed):
    """The test parts' recursive forecasts, made in one batch over every series, are those
    made series by series (up to float rounding of a larger matrix product), also when the
    test parts differ in length and series leave the batch one after another."""
    month = panel_frame.groupby("item")["month"].rank().astype(int)
    item = panel_frame["item"].str[4:].astype(int)
    uneven = panel_frame[month <= 48 - 3 * (item % 7)]  # 48, 45, ..., 30 rows
    f = Forecaster(**dict(SETTINGS, embed=embed, horizon=2, strategy="recursive", test_size=0.25))
    f.fit(uneven, target="sales", id="item")
    groups = f.usable_[:40]
    assert {f.splits_[g].n_test for g in groups} >= {8, 9, 11, 12}  # odd and even lengths
    together = recursive_tests(f.predictor_, f.data_, f.splits_, groups)
    for g in groups:
        split = f.splits_[g]
        alone = f.predictor_.recursive(f.data_.series(g), split.test_start, split.n_test)
        assert together[g].shape == alone.shape == (split.n_test, 1)
        np.testing.assert_allclose(together[g], alone, rtol=1e-5, atol=1e-6)


def test_metrics_json_does_not_grow_with_the_number_of_series(panel_frame, tmp_path):
    """Per-series scores go to series_metrics.csv; metrics.json, which every later command
    reads, stays the same size for 12 series or 120."""
    settings = {**SETTINGS, "epochs": 1}
    sizes = {}
    for n in (12, 120):
        names = [f"item{k:03d}" for k in range(1, 300) if k % 50][:n]
        part = panel_frame[panel_frame["item"].isin(names)]
        run = tmp_path / f"run{n}"
        Forecaster(**settings).fit(part, target="sales", id="item").save(str(run))
        sizes[n] = (run / "metrics.json").stat().st_size
        assert len(read_series_metrics(run)) == n
    assert abs(sizes[120] - sizes[12]) < 100  # digits of the numbers, not entries
