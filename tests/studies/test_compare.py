"""Leaderboards and backtests rank as they must on series whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from rnncast.data.folds import make_folds
from rnncast.data.scaling import Scaler
from rnncast.errors import ConfigError
from rnncast.studies.compare import compare_models, split_models

FAST = dict(units=(8,), lookback=12, epochs=40, lr=0.01, patience=0, test_size=24, val_size=12)


def test_models_beat_naive_on_a_noiseless_seasonal_series(seasonal_frame):
    result = compare_models(
        seasonal_frame, "y", ["dense", "gru"], FAST, repeats=2, ensemble=["dense", "gru"]
    )
    board = result.leaderboard
    for model in ("dense", "gru", "ensemble"):
        assert (
            board.loc[model, "one_step_rmse_mean"] < 0.5 * board.loc["naive", "one_step_rmse_mean"]
        )
    assert board.loc["naive", "rank"] > board.loc["gru", "rank"]
    assert set(board.index) == {
        "dense",
        "gru",
        "ensemble",
        "naive",
        "seasonal naive",
        "drift",
        "exponential smoothing",
    }
    assert board.loc["gru", "samples"] == 2 and board.loc["gru", "one_step_rmse_std"] > 0


def test_nothing_significantly_beats_naive_on_a_random_walk():
    rng = np.random.default_rng(7)
    walk = pd.DataFrame(
        {
            "date": pd.date_range("2020-01-01", periods=300, freq="D"),
            "y": 100 + np.cumsum(rng.normal(size=300)),
        }
    )
    result = compare_models(walk, "y", ["dense", "lstm"], {**FAST, "test_size": 60}, repeats=2)
    board = result.leaderboard
    naive = board.loc["naive"]
    for model in ("dense", "lstm"):
        # no model is better than naive by more than its own spread over seeds
        gain = naive["one_step_rmse_mean"] - board.loc[model, "one_step_rmse_mean"]
        assert gain < max(board.loc[model, "one_step_rmse_std"], 0.02 * naive["one_step_rmse_mean"])


def test_backtest_scalers_never_see_rows_after_the_cutoff(seasonal_frame):
    frame = seasonal_frame.copy()
    result = compare_models(
        frame, "y", ["dense"], {**FAST, "test_size": 12, "epochs": 2}, folds=3, step=12
    )
    values = frame["y"].to_numpy()
    folds = make_folds(len(frame), 3, 12, 12)
    assert len(result.fitted) == 3
    for fold, f in zip(folds, result.fitted, strict=True):
        assert f.split_.n_train + f.split_.n_val == fold.cut - fold.start
        rows = values[fold.start : fold.start + f.split_.n_train, None]
        expected = Scaler("minmax").fit(rows)
        np.testing.assert_array_equal(f.predictor_.scaler.shift_, expected.shift_)
        np.testing.assert_array_equal(f.predictor_.scaler.scale_, expected.scale_)
        assert fold.start + f.split_.n_train <= fold.cut  # nothing at or after the cut-off
    per_fold = result.records[result.records["name"] == "dense"]
    assert sorted(per_fold["fold"].unique()) == [0, 1, 2]


def test_backtest_gaps_before_a_cutoff_are_not_filled_from_after_it(seasonal_frame):
    frame = seasonal_frame.copy()
    folds = make_folds(len(frame), 2, 12, 12)
    last = folds[0].cut - 1  # the first fold's last row before its test part
    frame.loc[last, "y"] = np.nan
    frame.loc[folds[0].cut :, "y"] += 1e4  # everything after that cut-off far away
    settings = {**FAST, "test_size": 12, "val_size": 0, "epochs": 1}
    result = compare_models(frame, "y", ["dense"], settings, folds=2, step=12)
    first = result.fitted[0]
    assert first.data_.frame["y"].iloc[-13] == frame["y"][last - 1]  # carried, not bridged
    assert first.predictor_.scaler.scale_[0, 0] < 100


def test_sliding_window_and_no_refit(seasonal_frame):
    result = compare_models(
        seasonal_frame,
        "y",
        ["dense"],
        {**FAST, "test_size": 12, "epochs": 2},
        folds=3,
        window="sliding",
        refit=False,
    )
    assert len(result.fitted) == 1  # trained on the first fold only
    assert result.leaderboard.loc["dense", "samples"] == 3


def test_split_models_keeps_specs_whole():
    assert split_models(["lstm(64, relu) > dense,gru", "bilstm(8, merge=sum)"]) == [
        "lstm(64, relu) > dense",
        "gru",
        "bilstm(8, merge=sum)",
    ]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"models": ["lstn"]}, "Unknown model 'lstn'. Did you mean 'lstm'?"),
        ({"repeats": 0}, "`repeats` must be a whole number >= 1, got 0."),
        ({"folds": 20}, "20 folds of 24 test rows, 24 apart, need more than the 120 rows"),
        ({"ensemble": ["gru"]}, "`ensemble` names 'gru', which is not among `models`."),
    ],
)
def test_bad_comparisons(seasonal_frame, kwargs, message):
    args = {"models": ["dense", "lstm"], **kwargs}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compare_models(seasonal_frame, "y", settings=FAST, **args)
