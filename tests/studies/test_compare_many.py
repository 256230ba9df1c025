"""Comparisons and backtests of many series: one global model per fold, scored series by
series, each series' folds ending with its own last observation, nothing after a cut-off."""

import numpy as np
import pandas as pd
import pytest

from rnncast.data.folds import make_folds, series_folds
from rnncast.data.prepare import prepare
from rnncast.data.scaling import Scaler
from rnncast.errors import ConfigError
from rnncast.studies.compare import compare_models

FAST = dict(units=(8,), lookback=12, epochs=30, lr=0.01, patience=0, val_size=0)
LENGTHS = {"a": 60, "b": 66, "c": 72, "d": 78}  # each series starts a month after the last


def panel(lengths=LENGTHS, noise=0.5, seed=0) -> pd.DataFrame:
    """Monthly seasonal series of different levels, lengths and start dates, rows shuffled."""
    rng = np.random.default_rng(seed)
    frames = []
    for k, (name, n) in enumerate(lengths.items()):
        t = np.arange(n)
        y = (50 + 40 * k) * (1 + 0.2 * np.sin(2 * np.pi * t / 12 + k))
        dates = pd.date_range("2015-01-01", periods=n, freq="MS") + pd.DateOffset(months=k)
        frames.append(pd.DataFrame({"store": name, "month": dates, "sales": y}))
        frames[-1]["sales"] += rng.normal(scale=noise, size=n)
    return pd.concat(frames, ignore_index=True).sample(frac=1, random_state=1)


def test_a_global_model_beats_naive_series_by_series_and_ranks_by_mase():
    result = compare_models(
        panel(), "sales", ["dense"], {**FAST, "test_size": 12}, folds=2, id="store", ets=False
    )
    assert result.rank_by == ("one_step", "mase")
    board = result.leaderboard
    assert set(board.index) == {"dense", "naive", "seasonal naive", "drift"}
    assert board.loc["dense", "one_step_mase_mean"] < 0.5 * board.loc["naive", "one_step_mase_mean"]
    per = result.series
    assert set(per["series"]) == set(LENGTHS) and sorted(per["fold"].unique()) == [0, 1]
    # a sample is the mean over the series of its fold
    mine = per[(per["name"] == "dense") & (per["mode"] == "one_step") & (per["fold"] == 1)]
    sample = result.records.query("name == 'dense' and mode == 'one_step' and fold == 1")
    assert sample["mase"].item() == pytest.approx(mine["mase"].mean())
    assert sample["series"].item() == 4 and sample["test_rows"].item() == 4 * 12
    assert any("means over the 4 series ('store')" in n for n in result.verdict())


def test_each_series_folds_end_with_its_own_data_and_never_see_past_the_cutoff():
    data = panel()
    result = compare_models(
        data, "sales", ["dense"], {**FAST, "test_size": 6, "epochs": 1}, folds=3, id="store"
    )
    assert len(result.fitted) == 3
    for k, f in enumerate(result.fitted):
        for g, name in enumerate(f.data_.ids):
            n, first = LENGTHS[name], pd.Timestamp("2015-01-01") + pd.DateOffset(months=g)
            fold = make_folds(n, 3, 6, 6)[k]
            seen = f.data_.series(g).frame
            assert seen.index[-1] == first + pd.DateOffset(months=fold.end - 1)  # nothing later
            split = f.splits_[g]
            assert split.test_start == fold.cut - fold.start and split.n_test == 6
            rows = seen.to_numpy()[: split.n_train]
            expected = Scaler("minmax").fit(rows)
            np.testing.assert_allclose(f.predictor_.scaler.shift_[g], expected.shift_[0])
            np.testing.assert_allclose(f.predictor_.scaler.scale_[g], expected.scale_[0])
    tests = result.series.query("name == 'dense' and mode == 'one_step' and fold == 2")
    last = {
        n: str((pd.Timestamp("2015-01-01") + pd.DateOffset(months=g + LENGTHS[n] - 6)).date())
        for g, n in enumerate(LENGTHS)
    }
    assert dict(zip(tests["series"], tests["test_from"], strict=True)) == last
    assert {"exponential smoothing", "drift"} <= set(result.leaderboard.index)


def test_values_after_a_series_last_fold_change_no_score():
    """Moving every series' last fold (its rows after the first fold's end) far away leaves
    the first fold's scores as they were, though the series end on different dates."""
    data = panel()
    settings = {**FAST, "test_size": 6, "epochs": 2}
    before = compare_models(data, "sales", ["dense"], settings, folds=2, id="store", ets=False)
    later = data.copy()
    for name, n in LENGTHS.items():  # every row after each series' first fold
        rows = later.index[later["store"] == name]
        order = later.loc[rows, "month"].rank().astype(int) - 1
        later.loc[rows[order.to_numpy() >= n - 6], "sales"] += 1e4
    after = compare_models(later, "sales", ["dense"], settings, folds=2, id="store", ets=False)

    def first(r):  # fold 0's scores (its training time aside)
        kept = r.series[r.series["fold"] == 0].drop(columns="train_seconds")
        return kept.reset_index(drop=True)

    pd.testing.assert_frame_equal(first(before), first(after))
    second = after.series.query("fold == 1 and name == 'dense'")
    assert second["rmse"].min() > 1e3  # the last fold did read the moved values


def test_series_too_short_for_the_folds_are_left_out_and_named():
    data = panel({**LENGTHS, "tiny": 20})
    result = compare_models(
        data,
        "sales",
        ["dense"],
        {**FAST, "test_size": 8, "epochs": 1},
        folds=3,
        id="store",
        ets=False,
    )
    assert "tiny" not in set(result.series["series"])
    notes = result.verdict()
    assert "1 series too short for 3 folds of 8 test rows is left out: tiny." in notes
    assert not any("in no score" in n for n in notes)  # not named twice


def test_a_fraction_tests_the_same_rows_of_every_series():
    result = compare_models(
        panel(),
        "sales",
        ["dense"],
        {**FAST, "test_size": 0.1, "epochs": 1},
        folds=2,
        id="store",
        ets=False,
    )
    assert set(result.series["test_rows"]) == {7}  # 0.1 of the median length, 69
    assert (
        "Each fold tests 7 rows of every series (--test-size 0.1 of the median series' "
        "length)." in result.verdict()
    )


def test_compare_many_series_with_an_ensemble_and_a_static_input_on_one_split():
    data = panel()
    data["size"] = data["store"].map({"a": 1.0, "b": 2.0, "c": 3.0, "d": 5.0})
    result = compare_models(
        data,
        "sales",
        ["dense", "gru"],
        {**FAST, "test_size": 12, "epochs": 3},
        id="store",
        ets=False,
        ensemble=["dense", "gru"],
        known={"static": "size"},
    )
    assert all(f.data_.static_columns == ["size"] for f in result.fitted)
    board = result.leaderboard
    assert {"dense", "gru", "ensemble"} <= set(board.index)
    per = result.series.query("mode == 'one_step'")
    assert per.groupby("name")["series"].nunique().eq(4).all()  # the same series for every entry


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"refit": False, "folds": 2}, "refit=False takes one series; with `id` every fold"),
        ({"folds": 9}, "9 folds of 12 test rows, 12 apart, need more than the 78 rows"),
        ({"rank_by": ("one_step", "r2")}, "Rank by one of"),
    ],
)
def test_bad_comparisons_of_many_series(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        compare_models(panel(), "sales", ["dense"], {**FAST, "test_size": 12}, id="store", **kwargs)


def test_series_folds_pick_rows_by_date_or_by_position():
    data = panel({"a": 30, "b": 40})
    prepared = prepare(data, "sales", "month", id="store")
    plan = series_folds(prepared, data, folds=2, test=5)
    assert plan.test == 5 and plan.left_out == []
    for k, rows in enumerate(plan.rows):
        part = data[rows]
        for name, n in (("a", 30), ("b", 40)):
            fold = make_folds(n, 2, 5)[k]
            assert (part["store"] == name).sum() == fold.end - fold.start
    plain = data.sort_values(["store", "month"]).drop(columns="month")  # no dates: positions
    prepared = prepare(plain, "sales", id="store")
    rows = series_folds(prepared, plain, folds=2, test=5, window="sliding").rows[0]
    kept = plain[rows].groupby("store")["sales"].apply(list)
    fold_b = make_folds(40, 2, 5, window="sliding")[0]
    b = plain[plain["store"] == "b"]["sales"].tolist()
    assert kept["b"] == b[fold_b.start : fold_b.end]
