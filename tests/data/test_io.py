import numpy as np
import pandas as pd
import pytest

from rnncast.data.io import file_sha256, read_table
from rnncast.errors import DataError


def test_reads_csv_parquet_frame_and_series(tmp_path, daily_frame):
    csv, pq = tmp_path / "a.csv", tmp_path / "a.parquet"
    daily_frame.to_csv(csv, index=False)
    daily_frame.to_parquet(pq)
    for source in (str(csv), pq, daily_frame):
        assert read_table(source).shape == daily_frame.shape
    series = pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2), name="v")
    assert read_table(series).columns.tolist() == ["date", "v"]


def test_an_index_that_holds_data_is_kept(tmp_path):
    """pd.read_csv(path, index_col=0) leaves the dates as a text index: they were dropped,
    and the model forecast by row numbers with no season."""
    from rnncast import Forecaster, datasets

    by_text = pd.read_csv(datasets.path("airline"), index_col=0)
    assert read_table(by_text).columns.tolist() == ["month", "passengers"]
    f = Forecaster(model="gru", units=4, epochs=1).fit(by_text, target="passengers")
    assert (f.data_.date, f.data_.freq, f.season_) == ("month", "MS", 12)
    periods = pd.Series([1.0, 2.0, 3.0], index=pd.period_range("2024-01", periods=3, freq="M"))
    table = read_table(periods)
    assert table.columns.tolist() == ["date", "value"]
    assert table["date"].tolist() == list(pd.date_range("2024-01-01", periods=3, freq="MS"))
    panel = pd.DataFrame({"item": ["a", "b"], "y": [1.0, 2.0]}).set_index("item")
    assert read_table(panel).columns.tolist() == ["item", "y"]
    assert read_table(pd.DataFrame({"y": [1.0, 2.0]}, index=[5, 6])).columns.tolist() == ["y"]
    with pytest.raises(DataError, match="both named 'y'"):
        read_table(pd.DataFrame({"y": [1.0]}, index=pd.Index([0], name="y")))


def test_csv_floats_are_read_as_the_doubles_written(tmp_path):
    """pandas 2's and 3.0's default parser reads some floats one unit in the last place off
    (found on a GPU image's pandas): a run saved and loaded then held another series."""
    values = [4.2113837177767754, 4.0386025081204435, 5.9962162427631025, 2871.4168333641474]
    values += list(np.sin(np.arange(200) / 3) + 5)
    pd.DataFrame({"y": values}).to_csv(tmp_path / "y.csv", index=False)
    got = read_table(tmp_path / "y.csv")["y"].to_numpy()
    assert got.tolist() == values  # exactly, every one


def test_hash_is_stable(csv_file):
    assert file_sha256(csv_file) == file_sha256(csv_file)
    assert len(file_sha256(csv_file)) == 64


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "No such file"),
        (b"", "is empty"),
        (b"date,y\n", "header but no rows"),
        (b"\xff\xfe\x00\x01binary\x00\xff", "binary file, not CSV text"),
        (b"date,y,caf\xe9\n2023-01-01,1,2\n", "not UTF-8"),
    ],
)
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_table(str(path))


def test_directory_and_bad_parquet(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        read_table(str(tmp_path))
    bad = tmp_path / "x.parquet"
    bad.write_text("not parquet")
    with pytest.raises(DataError, match="not a readable Parquet"):
        read_table(str(bad))


def test_wrong_type():
    with pytest.raises(TypeError, match="CSV or Parquet path"):
        read_table(42)


def test_semicolon_csv_with_decimal_commas(tmp_path):
    from rnncast.data.prepare import prepare

    path = tmp_path / "eu.csv"
    path.write_text("datum;umsatz\n2024-01-01;12,5\n2024-01-02;13,25\n2024-01-03;1,0\n")
    frame = read_table(str(path))
    assert frame["umsatz"].tolist() == [12.5, 13.25, 1.0]
    data = prepare(frame, target="umsatz", date="datum")
    assert any("semicolon-separated with decimal commas" in n for n in data.notes)


def test_thousands_separators_get_a_hint(tmp_path):
    from rnncast.data.prepare import prepare

    path = tmp_path / "t.csv"
    path.write_text('date,y\n2024-01-01,"1,234.5"\n2024-01-02,"1,300.0"\n')
    with pytest.raises(DataError, match="no thousands separators"):
        prepare(read_table(str(path)), target="y", date="date")
