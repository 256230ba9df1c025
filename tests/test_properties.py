"""Property and fuzz tests: windowing, scaling, splits, frequencies, recursion, the reader."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnncast.data.io import read_table
from rnncast.data.prepare import prepare, prepare_series
from rnncast.data.scaling import Scaler
from rnncast.data.split import chronological_split
from rnncast.data.windows import Windows, origins_between
from rnncast.errors import RnncastError
from rnncast.evaluation.modes import roll_forward

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    n=st.integers(5, 200),
    lookback=st.integers(1, 20),
    horizon=st.integers(1, 10),
    start=st.integers(0, 200),
    stop=st.integers(0, 220),
)
def test_windows_stay_inside_their_part(n, lookback, horizon, start, stop):
    origins = origins_between(start, stop, lookback, horizon, n)
    expected = max(0, min(stop, n) - horizon - max(start, lookback) + 1)
    assert len(origins) == expected
    if len(origins):
        assert origins.min() - lookback >= 0 and origins.max() + horizon <= min(stop, n)
        assert origins.min() >= start  # no target before the part starts
        values = np.arange(n, dtype=np.float32)[:, None]
        x, y = Windows(values, lookback, horizon, [0], [0], origins).arrays()
        assert np.array_equal(y[:, 0, 0], origins.astype(np.float32))  # aligned: first target
        assert np.array_equal(x[:, -1, 0], (origins - 1).astype(np.float32))  # last input


@FAST
@given(
    rows=st.integers(2, 60),
    cols=st.integers(1, 4),
    kind=st.sampled_from(["minmax", "standard", "none"]),
    seed=st.integers(0, 10_000),
)
def test_scaling_round_trips(rows, cols, kind, seed):
    values = np.random.default_rng(seed).normal(size=(rows, cols)) * 1e3
    s = Scaler(kind).fit(values[: max(1, rows // 2)])
    for c in range(cols):
        back = s.inverse(s.transform(values)[:, c], column=c)
        np.testing.assert_allclose(back, values[:, c], rtol=1e-9, atol=1e-9)


@FAST
@given(n=st.integers(3, 300), test=st.floats(0, 0.5), val=st.integers(0, 50))
def test_splits_cover_every_row_once_in_order(n, test, val):
    index = pd.date_range("2020-01-01", periods=n, freq="D")
    try:
        s = chronological_split(index, test, val)
    except RnncastError:
        return  # the sizes leave no training rows: refused, which is right
    assert s.n_train > 0 and s.n_train + s.n_val + s.n_test == n
    assert s.val_start == s.n_train and s.test_start == s.n_train + s.n_val


@FAST
@given(
    freq=st.sampled_from(["D", "B", "h", "MS", "W-SUN", "QS-JAN", "15min", "YS-JAN"]),
    n=st.integers(6, 60),  # four business days in a row are also four days
    shuffle=st.booleans(),
)
def test_frequency_is_inferred_whatever_the_row_order(freq, n, shuffle):
    index = pd.date_range("2021-01-04", periods=n, freq=freq)
    frame = pd.DataFrame({"date": index, "y": np.arange(n, dtype=float)})
    if shuffle:
        frame = frame.sample(frac=1, random_state=n)
    data = prepare(frame, target="y", date="date")
    assert pd.tseries.frequencies.to_offset(data.freq) == pd.tseries.frequencies.to_offset(freq)
    assert data.frame["y"].tolist() == list(range(n))


@FAST
@given(lookback=st.integers(1, 6), steps=st.integers(1, 12), seed=st.integers(0, 1000))
def test_recursion_equals_repeated_one_step_calls(lookback, steps, seed):
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=lookback)

    def predict(x):  # a linear one-step model: (B, L, 1) -> (B, 1, 1)
        return (x[:, :, 0] @ weights)[:, None, None]

    values = rng.normal(size=(lookback + 3, 1))
    out = roll_forward(values, len(values), steps, predict, lookback, 1, [0], [0])
    history = list(values[:, 0])
    for _ in range(steps):
        history.append(float(np.array(history[-lookback:]) @ weights))
    np.testing.assert_allclose(out[:, 0], history[len(values) :], rtol=1e-12)


@settings(max_examples=80, deadline=None)
@given(content=st.binary(max_size=400))
def test_reader_on_random_bytes_reads_or_says_why(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("fuzz") / "data.csv"
    path.write_bytes(content)
    try:
        frame = read_table(str(path))
    except RnncastError as exc:  # the library's own error: one line that says why
        _assert_one_line(exc)
    else:  # or a table with named columns and at least one row
        assert isinstance(frame, pd.DataFrame) and len(frame.columns) >= 1 and len(frame) >= 1


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.lists(st.text(alphabet="0123456789.,-;: aEe'nNA", max_size=6), min_size=1, max_size=4),
        min_size=1,
        max_size=8,
    )
)
def test_reader_and_preparation_on_csv_like_text(tmp_path_factory, cells):
    path = tmp_path_factory.mktemp("fuzz") / "data.csv"
    path.write_text("date,y\n" + "\n".join(",".join(row) for row in cells))
    try:
        data = prepare(read_table(str(path)), target="y", date="date")
    except RnncastError as exc:
        _assert_one_line(exc)
    else:  # a clean series: dated in order, numeric and finite, nothing invented
        assert data.frame.index.is_monotonic_increasing and not data.frame.index.has_duplicates
        assert data.frame["y"].dtype == np.float64 and np.isfinite(data.frame["y"]).all()
        assert data.missing_filled + len(data.frame) + data.rows_dropped >= 1


def _assert_one_line(exc: Exception) -> None:
    message = str(exc)
    assert message and "\n" not in message and "Traceback" not in message, message


def test_fuzzing_really_reaches_the_reader(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RnncastError):
        read_table(str(path))


def _panel(seed: int, n_series: int, shuffle: bool, holes: bool, irregular: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n_series):
        n = int(rng.integers(4, 30))
        dates = pd.date_range("2020-01-01", periods=n + 3, freq=["D", "MS", "W-SUN"][k % 3])
        if irregular and k % 2:
            dates = dates.delete([1])  # one step twice as long
        dates = dates[:n]
        y = rng.normal(size=n)
        x = rng.normal(size=n)
        if holes:
            y[rng.random(n) < 0.2] = np.nan
            y[0 if k % 4 == 0 else 1] = 1.5  # never a series without values
        frames.append(pd.DataFrame({"shop": f"s{k % 7}{k}", "when": dates, "y": y, "x": x}))
    table = pd.concat(frames, ignore_index=True)
    return table.sample(frac=1, random_state=seed) if shuffle else table


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_series=st.integers(1, 12),
    shuffle=st.booleans(),
    holes=st.booleans(),
    irregular=st.booleans(),
    missing=st.sampled_from(["interpolate", "ffill", "drop"]),
    dated=st.booleans(),
)
def test_a_long_table_is_prepared_as_its_series_one_by_one(
    seed, n_series, shuffle, holes, irregular, missing, dated
):
    """The long-format path, which does the whole table's work at once, gives every series
    exactly what preparing that series alone gives (the path Parquet batches take), and
    refuses what that refuses with the same message."""
    table = _panel(seed, n_series, shuffle, holes, irregular)
    if not dated:
        table = table.drop(columns="when")
    date = "when" if dated else None
    series = {k: g.drop(columns="shop") for k, g in table.groupby("shop")}
    try:
        together = prepare(table, "y", date, ["x"], missing, id="shop")
    except RnncastError as exc:  # a series too irregular to forecast: refused the same way
        with pytest.raises(type(exc), match=re.escape(str(exc))):
            prepare_series(series, "y", date, ["x"], missing, "shop")
        return
    alone = prepare_series(series, "y", date, ["x"], missing, "shop")
    assert together.ids == alone.ids and together.bounds == alone.bounds
    assert (together.freq, together.missing_filled, together.rows_dropped) == (
        alone.freq, alone.missing_filled, alone.rows_dropped
    )  # fmt: skip
    assert together.notes == alone.notes
    for a, b in zip(together.parts, alone.parts, strict=True):
        pd.testing.assert_frame_equal(a, b)
    for a, b in zip(together.holes, alone.holes, strict=True):
        assert (a is None and b is None) or np.array_equal(a, b)
