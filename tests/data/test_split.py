import pandas as pd
import pytest

from rnncast.data.split import Split, chronological_split
from rnncast.errors import ConfigError

IDX = pd.date_range("2024-01-01", periods=100, freq="D")


@pytest.mark.parametrize(
    "test, val, expected",
    [
        (0.2, 0.1, Split(70, 10, 20)),
        (20, 10, Split(70, 10, 20)),
        ("2024-03-21", "2024-03-11", Split(70, 10, 20)),
        (0.2, 0, Split(80, 0, 20)),
        (0, 0, Split(100, 0, 0)),
    ],
)
def test_sizes_as_fraction_count_or_date(test, val, expected):
    assert chronological_split(IDX, test, val) == expected


def test_parts_are_consecutive():
    s = chronological_split(IDX, 0.25, 0.15)
    assert s.n_train + s.n_val + s.n_test == 100
    assert s.val_start == s.n_train and s.test_start == s.n_train + s.n_val


def test_no_training_rows_left():
    with pytest.raises(ConfigError, match="leave no training rows"):
        chronological_split(IDX, 0.6, 0.4)
    with pytest.raises(ConfigError, match="takes all 100 remaining rows"):
        chronological_split(IDX, 100, 0)


def test_date_outside_data():
    with pytest.raises(ConfigError, match="lies outside the data"):
        chronological_split(IDX, "2030-01-01", 0)


def test_date_without_dates():
    with pytest.raises(ConfigError, match="no date column"):
        chronological_split(pd.RangeIndex(10), "2024-01-01", 0)
