import numpy as np
import pandas as pd
import pytest

from rnncast import datasets
from rnncast.data.prepare import prepare
from rnncast.errors import ConfigError, DataError


def test_sorts_and_says_so(daily_frame):
    shuffled = daily_frame.sample(frac=1, random_state=0)
    data = prepare(shuffled, target="y", date="date")
    assert data.frame.index.is_monotonic_increasing
    assert data.freq == "D"
    assert any("sorted" in note for note in data.notes)
    np.testing.assert_array_equal(data.frame["y"].to_numpy(), daily_frame["y"].to_numpy())


@pytest.mark.parametrize(
    "freq, expected", [("D", "D"), ("B", "B"), ("MS", "MS"), ("h", "h"), ("W-SUN", "W-SUN")]
)
def test_infers_frequency(freq, expected):
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=30, freq=freq), "y": 1.0})
    assert prepare(frame, target="y", date="when").freq == expected


def test_detects_date_column_by_name(daily_frame):
    data = prepare(daily_frame, target="y")
    assert data.date == "date" and isinstance(data.frame.index, pd.DatetimeIndex)


def test_no_date_gives_row_index():
    data = prepare(pd.DataFrame({"v": [1.0, 2.0, 3.0]}), target="v")
    assert data.date is None and data.freq is None
    assert list(data.frame.index) == [0, 1, 2]


def test_features_come_first(daily_frame):
    data = prepare(daily_frame, target="y", features=["x"])
    assert data.columns == ["x", "y"]


def test_bitcoin_missing_rows_are_counted():
    raw = datasets.load("bitcoin")
    data = prepare(raw, target="close", date="date", features=["volume"], missing="interpolate")
    assert data.missing_filled == 8  # 4 days without quotes, two columns each
    assert not data.frame.isna().any().any()
    dropped = prepare(raw, target="close", date="date", missing="drop")
    assert dropped.rows_dropped == 4 and len(dropped.frame) == len(raw) - 4
    with pytest.raises(DataError, match="4 missing values .* choose `missing`"):
        prepare(raw, target="close", date="date", missing="error")


def test_ffill_and_interpolate_values():
    frame = pd.DataFrame({"y": [np.nan, 1.0, np.nan, 3.0, 4.0]})
    assert prepare(frame, target="y", missing="interpolate").frame["y"].tolist() == [1, 1, 2, 3, 4]
    assert prepare(frame, target="y", missing="ffill").frame["y"].tolist() == [1, 1, 1, 3, 4]


@pytest.mark.parametrize("missing", ["interpolate", "ffill", "drop", "error"])
def test_nothing_after_the_last_observation_is_filled_in(missing):
    """Rows after the last observed target are the future part, whatever the policy: never
    filled, never part of the series that is split and scored."""
    frame = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=6), "y": [1.0, 2, 3, 4, None, None]}
    )
    data = prepare(frame, target="y", missing=missing)
    assert data.frame["y"].tolist() == [1, 2, 3, 4] and data.missing_filled == 0
    assert any("2 rows after the last observed 'y' (from 2024-01-05)" in n for n in data.notes)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"target": "Y"}, DataError, "Unknown target column 'Y'. Did you mean 'y'"),
        ({"target": "y", "features": ["z"]}, DataError, "Unknown feature column 'z'"),
        ({"target": "y", "date": "dat"}, DataError, "Unknown date column 'dat'"),
        ({"target": "y", "features": ["y"]}, ConfigError, "both a target and a feature"),
    ],
)
def test_bad_columns(daily_frame, kwargs, error, message):
    with pytest.raises(error, match=message):
        prepare(daily_frame, **kwargs)


def test_non_numeric_target_names_the_value(daily_frame):
    daily_frame["y"] = daily_frame["y"].astype(object)
    daily_frame.loc[5, "y"] = "12,5 EUR"
    with pytest.raises(DataError, match=r"Column 'y' is not numeric: '12,5 EUR' at 2023-01-06"):
        prepare(daily_frame, target="y")


def test_duplicate_dates(daily_frame):
    daily_frame.loc[3, "date"] = daily_frame.loc[2, "date"]
    with pytest.raises(DataError, match="2023-01-03 00:00:00 appears more than once"):
        prepare(daily_frame, target="y")


def test_unparsable_date(daily_frame):
    daily_frame.loc[7, "date"] = "not a date"
    with pytest.raises(DataError, match="'not a date' \\(row 9 of the file\\)"):
        prepare(daily_frame, target="y")


def test_duplicate_column_names():
    frame = pd.DataFrame([[1.0, 2.0]], columns=["y", "y"])
    with pytest.raises(DataError, match="appears more than once"):
        prepare(frame, target="y")


def test_infinite_and_empty_columns():
    with pytest.raises(DataError, match="infinite"):
        prepare(pd.DataFrame({"y": [1.0, np.inf]}), target="y")
    with pytest.raises(DataError, match="no values at all"):
        prepare(pd.DataFrame({"y": [np.nan, np.nan]}), target="y")


def test_without_a_target_the_one_numeric_column_besides_date_and_inputs(daily_frame):
    # y and x are both numbers: naming x as a feature leaves y; text columns never count
    data = prepare(daily_frame.assign(note="a"), target=None, features=["x"])
    assert data.targets == ("y",) and data.features == ("x",)
    assert data.notes[0].startswith("Forecasting 'y', the only numeric column")
    with pytest.raises(ConfigError) as both:
        prepare(daily_frame, target=None)
    assert "the table has 2 numeric columns: y, x" in str(both.value)
    assert str(both.value).startswith("Which column to forecast? Name it with `target`")
    with pytest.raises(ConfigError, match=r"no other column of numbers \(note\)"):
        prepare(daily_frame[["date"]].assign(note="a"), target=None)


def test_without_a_target_many_series_from_any_source(panel_frame, tmp_path):
    from rnncast.data.load import load

    # the id and the date (month) are never the target, also when the id is a number
    numbered = panel_frame.assign(item=panel_frame["item"].str[4:].astype(int))
    assert prepare(numbered, target=None, id="item").targets == ("sales",)
    path = tmp_path / "panel.parquet"  # read series by series: the target from the schema
    panel_frame.to_parquet(path, index=False)
    data = load(path, id="item")
    assert data.targets == ("sales",) and "the only numeric column" in data.notes[0]
    ref = panel_frame[panel_frame["item"] < "item100"]
    data = load(panel_frame[panel_frame["item"] >= "item100"], id="item", reference=ref)
    assert data.targets == ("sales",) and "the only numeric column" in data.notes[0]
    wide = panel_frame[panel_frame["item"] < "item003"].pivot(
        index="month", columns="item", values="sales"
    )
    assert load(wide, id="item", wide=True).targets == ("value",)
