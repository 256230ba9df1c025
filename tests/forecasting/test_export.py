"""ONNX export: one file that onnxruntime runs to the numbers of ``Forecaster.forecast``, raw
windows in and original units out, for every architecture of the zoo, one series and a panel,
direct and recursive; what it cannot carry is refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster, datasets
from rnncast.cli.app import app
from rnncast.data.seasonal import first_phase
from rnncast.errors import ConfigError, RnncastError

ort = pytest.importorskip("onnxruntime")

TINY = dict(units=8, epochs=2, lookback=12, seed=0)
MODELS = [
    dict(model="auto", members=3, epochs=2, horizon=6),  # ensemble, window norm, deseason
    dict(model="lstm", **TINY, horizon=6),
    dict(model="gru", **TINY, horizon=3, strategy="recursive"),
    dict(model="rnn", **TINY, horizon=4, window_norm="last"),
    dict(model="seq2seq(8) > dense", lookback=12, epochs=2, horizon=6),
    dict(model="bilstm(6) > dense", lookback=12, epochs=2, horizon=6),
    dict(model="cnn(filters=4, kernel=2, sub=2, pool=2) > lstm(6) > dense", lookback=12, epochs=2),
    dict(model="convlstm(filters=3, kernel=2, sub=3) > dense", lookback=12, epochs=2, horizon=2),
    dict(model="es > gru(6) > dense", lookback=24, epochs=2, horizon=6),
    dict(model="lstm", **TINY, horizon=6, quantiles=(0.1, 0.9)),
    dict(model="stacked-gru", lookback=12, epochs=1, horizon=6, deseason=True),
    dict(model="stacked-lstm", lookback=12, epochs=1, horizon=1),  # the speed harness's
]


def onnx_forecast(path: str, frame: pd.DataFrame, date: str, meta: dict, series=None):
    """The graph's forecast from the last rows of ``frame`` (one series)."""
    session = ort.InferenceSession(path)
    rows = frame.iloc[-meta["lookback"] :]
    feeds = {"window": rows[meta["inputs"]].to_numpy(np.float32)[None]}
    if "series" in meta["graph_inputs"]:
        feeds["series"] = np.array([series or 0], dtype=np.int64)
    if "phase" in meta["graph_inputs"]:
        index = pd.DatetimeIndex(pd.to_datetime(rows[date]))
        feeds["phase"] = np.array([first_phase(index, meta["frequency"])], dtype=np.int64)
    return session.run(None, feeds)[0][0]  # (N, C)


def metadata(path: str) -> dict:
    session = ort.InferenceSession(path)
    return json.loads(session.get_modelmeta().custom_metadata_map["rnncast"])


@pytest.mark.parametrize("settings", MODELS, ids=lambda s: s["model"][:24])
def test_every_architecture_exports_to_the_same_forecast(tmp_path, settings):
    data = datasets.load("airline")
    f = Forecaster(**settings).fit(data, target="passengers")
    steps = None if settings.get("quantiles") else 2 * f.config_.max_step  # rolled out inside
    path = f.export_onnx(str(tmp_path / "m.onnx"), steps=steps)
    meta = metadata(path)
    want = f.forecast(steps)["passengers"].to_numpy()
    got = onnx_forecast(path, data, "month", meta)[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert meta["steps"] == list(range(1, len(want) + 1)) and meta["targets"] == ["passengers"]


def test_a_quantile_model_exports_every_quantile(tmp_path):
    data = datasets.load("airline")
    f = Forecaster(model="lstm", **TINY, horizon=6, quantiles=(0.1, 0.9)).fit(
        data, target="passengers"
    )
    with pytest.raises(ConfigError, match="export at most 6 steps"):
        f.export_onnx(str(tmp_path / "q.onnx"), steps=7)
    path = f.export_onnx(str(tmp_path / "q.onnx"))
    meta = metadata(path)
    assert meta["quantiles"] == [0.1, 0.5, 0.9]
    session = ort.InferenceSession(path)
    window = data[["passengers"]].to_numpy(np.float32)[-meta["lookback"] :][None]
    point, every = session.run(None, {"window": window})
    frame = f.forecast(6)
    np.testing.assert_allclose(every[0, :, 0, 0], frame["q0.1"], rtol=1e-4)
    np.testing.assert_allclose(every[0, :, 0, 2], frame["q0.9"], rtol=1e-4)
    np.testing.assert_allclose(every[0, :, 0, 1], point[0, :, 0], rtol=1e-6)


def test_a_panel_with_an_embedding_exports_with_its_series_numbers(tmp_path):
    frames = []
    for k, level in enumerate((100.0, 2_000.0, 30.0)):
        t = np.arange(72)
        y = level * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) + k * t
        month = pd.date_range("2015-01-01", periods=72, freq="MS")
        frames.append(pd.DataFrame({"month": month, "item": f"s{k}", "y": y}))
    data = pd.concat(frames)
    f = Forecaster(horizon=6, epochs=2, members=2, embed=2).fit(data, target="y", id="item")
    path = f.export_onnx(str(tmp_path / "panel.onnx"), steps=9)
    meta = metadata(path)
    assert meta["series"] == ["s0", "s1", "s2"] and meta["id"] == "item"
    forecast = f.forecast(9)
    for k, name in enumerate(meta["series"]):
        got = onnx_forecast(path, frames[k], "month", meta, series=k)[:, 0]
        want = forecast.loc[forecast["item"] == name, "y"].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-4)


def test_a_set_of_steps_and_past_covariates(tmp_path):
    daily = datasets.load("chicago").iloc[-400:]
    f = Forecaster(model="gru", **TINY, horizon=(1, 3, 7)).fit(
        daily, target="ridership", features=["temp_max"]
    )
    with pytest.raises(ConfigError, match="leave out"):
        f.export_onnx(str(tmp_path / "x.onnx"), steps=5)
    path = f.export_onnx(str(tmp_path / "steps.onnx"))
    meta = metadata(path)
    assert meta["steps"] == [1, 3, 7] and meta["inputs"] == ["temp_max", "ridership"]
    got = onnx_forecast(path, daily, "date", meta)[:, 0]
    np.testing.assert_allclose(got, f.forecast()["ridership"].to_numpy(), rtol=1e-4)
    g = Forecaster(model="gru", **TINY, horizon=3).fit(
        daily, target="ridership", features=["temp_max"]
    )
    with pytest.raises(ConfigError, match="export at most 3 steps"):
        g.export_onnx(str(tmp_path / "y.onnx"), steps=6)


def known_feeds(meta: dict, history: pd.DataFrame, ahead: pd.DataFrame, date: str) -> dict:
    """What a consumer gives a graph that reads known inputs: the window's last rows of the
    run's columns, and the known columns on the rows after it (calendar and holiday columns
    made from the dates as the metadata says, here by rnncast's own function)."""
    from rnncast.data.calendar import calendar_frame

    rows = ahead.iloc[: meta["future_rows"]].copy()
    window = history.iloc[-meta["lookback"] :].copy()
    made = [name for name in meta["known"] if name not in rows.columns]
    if made:
        parts = sorted({name.rsplit("_", 1)[0] for name in made if name != "holiday"})
        holidays = "US" if "holiday" in made else None
        for frame in (window, rows):
            cal = calendar_frame(pd.DatetimeIndex(frame[date]), parts, holidays)
            for name in made:
                frame[name] = cal[name].to_numpy()
    feeds = {
        "window": window[meta["inputs"]].to_numpy(np.float32)[None],
        "future": rows[meta["known"]].to_numpy(np.float32)[None],
    }
    if "phase" in meta["graph_inputs"]:
        index = pd.DatetimeIndex(pd.to_datetime(window[date]))
        feeds["phase"] = np.array([first_phase(index, meta["frequency"])], dtype=np.int64)
    return feeds


def chicago_ahead(daily: pd.DataFrame, rows: int) -> pd.DataFrame:
    """The dates after the data with the known temperature (a planned value), for tests."""
    dates = pd.date_range(daily["date"].iloc[-1], periods=rows + 1, freq="D")[1:]
    return pd.DataFrame({"date": dates, "temp_max": 70.0 + np.arange(rows)})


@pytest.mark.parametrize(
    "settings, steps",
    [
        (dict(horizon=3), 3),  # direct, one call
        (dict(horizon=3), 8),  # direct, rolled on in blocks, the last one overlapping
        (dict(horizon=4), 2),  # fewer steps than a call: still reads a horizon ahead
        (dict(horizon=3, strategy="recursive"), 7),  # one step per call
        (dict(horizon=3, model="seq2seq(6) > dense", units=None), 6),
        (dict(horizon=3, model="auto", members=2, units=None, lookback=None), 5),
    ],
    ids=["direct", "direct-rolled", "direct-short", "recursive", "seq2seq", "recipe"],
)
def test_inputs_known_ahead_export_with_their_future(tmp_path, settings, steps):
    daily = datasets.load("chicago").iloc[-300:]
    settings = {k: v for k, v in {"model": "gru", **TINY, **settings}.items() if v is not None}
    f = Forecaster(**settings).fit(
        daily, target="ridership", known=["temp_max"], calendar="dow", holidays="US"
    )
    ahead = chicago_ahead(daily, 12)
    path = f.export_onnx(str(tmp_path / "k.onnx"), steps=steps)
    meta = metadata(path)
    assert meta["known"] == ["temp_max", "dow_sin", "dow_cos", "holiday"]
    assert meta["future_rows"] == max(steps, 1 if "strategy" in settings else f.config_.max_step)
    assert meta["known_columns"]["dow_sin"].startswith("sin(2 pi (day of week (Monday 0)")
    assert "planned or forecast" in meta["known_columns"]["temp_max"]
    got = ort.InferenceSession(path).run(None, known_feeds(meta, daily, ahead, "date"))[0]
    want = f.forecast(steps, future=ahead)["ridership"].to_numpy()
    np.testing.assert_allclose(got[0, :, 0], want, rtol=1e-4)
    other = ahead.assign(temp_max=ahead["temp_max"] + 30)  # the future input changes the forecast
    moved = ort.InferenceSession(path).run(None, known_feeds(meta, daily, other, "date"))[0]
    np.testing.assert_allclose(
        moved[0, :, 0], f.forecast(steps, future=other)["ridership"], rtol=1e-4
    )
    assert not np.allclose(moved, got)


def test_a_panel_with_known_and_past_inputs_exports(tmp_path):
    daily = datasets.load("chicago").iloc[-200:]
    frames = [
        daily.assign(line=name, ridership=daily["ridership"] * k, size=float(k))
        for k, name in ((1, "a"), (3, "b"))
    ]
    data = pd.concat(frames)
    f = Forecaster(model="gru", **TINY, horizon=3, embed=2).fit(
        data, target="ridership", id="line", known=["temp_max"], features=["precip"], static="size"
    )
    path = f.export_onnx(str(tmp_path / "panel.onnx"))
    meta = metadata(path)
    assert meta["inputs"] == ["precip", "temp_max", "size", "ridership"]
    assert meta["known"] == ["temp_max", "size"]
    assert meta["known_columns"]["size"].startswith("a static covariate")
    ahead = chicago_ahead(daily, 3)
    future = pd.concat([ahead.assign(line=name) for name in ("a", "b")])
    want = f.forecast(3, future=future)
    session = ort.InferenceSession(path)
    for k, frame in enumerate(frames):
        own = ahead.assign(size=frame["size"].iloc[0])  # a static value: the same on every row
        feeds = known_feeds(meta, frame, own, "date") | {"series": np.array([k], np.int64)}
        got = session.run(None, feeds)[0][0, :, 0]
        expected = want.loc[want["line"] == meta["series"][k], "ridership"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-4)
    with pytest.raises(ConfigError, match="export at most 3 steps"):
        f.export_onnx(str(tmp_path / "far.onnx"), steps=4)


def test_export_from_the_cli(tmp_path):
    run, model = tmp_path / "run", tmp_path / "model.onnx"
    fit = ["fit", "airline", "--target", "passengers", "--model", "gru", "--units", "4"]
    fit += ["--epochs", "1", "--horizon", "3", "--quiet", "--out", str(run)]
    assert CliRunner().invoke(app, fit).exit_code == 0
    result = CliRunner().invoke(app, ["export", str(run), "--out", str(model), "--steps", "5"])
    assert result.exit_code == 0, result.output
    meta = metadata(str(model))
    assert meta["steps"] == [1, 2, 3, 4, 5]
    config = json.loads((run / "config.json").read_text())
    assert meta["data"]["sha256"] == config["data"]["sha256"]  # the run's data, by its hash
    again = CliRunner().invoke(app, ["export", str(run), "--out", str(model)])
    assert again.exit_code == 2 and "--overwrite" in again.output  # never replaced unasked
    assert metadata(str(model))["steps"] == [1, 2, 3, 4, 5]
    other = tmp_path / "other.onnx"  # the exporter, chosen by name
    bad = CliRunner().invoke(app, ["export", str(run), "--out", str(other), "--exporter", "tf"])
    assert bad.exit_code == 2 and "exporter must be one of auto, torchscript, dynamo" in bad.output
    assert "Traceback" not in bad.output and not other.exists()
    args = ["export", str(run), "--out", str(other), "--exporter", "torchscript"]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert metadata(str(other))["exporter"] == "torchscript"
    (run / "weights.safetensors").write_bytes(b"not weights")  # a damaged run: as forecast
    bad = CliRunner().invoke(app, ["export", str(run), "--out", str(tmp_path / "b.onnx")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert not (tmp_path / "b.onnx").exists()
    with pytest.raises(RnncastError):
        Forecaster.load(str(run))


def test_a_run_with_calendar_inputs_exports_from_the_cli(tmp_path):
    """A saved run read back (its calendar, holidays and zone from config.json) exports to
    the numbers of its own forecast."""
    run, model = tmp_path / "run", tmp_path / "cal.onnx"
    fit = ["fit", "chicago", "--target", "ridership", "--model", "gru", "--units", "4"]
    fit += ["--epochs", "1", "--horizon", "3", "--lookback", "8", "--calendar", "dow"]
    assert (
        CliRunner().invoke(app, [*fit, "--holidays", "US", "-q", "--out", str(run)]).exit_code == 0
    )
    result = CliRunner().invoke(app, ["export", str(run), "--out", str(model)])
    assert result.exit_code == 0, result.output
    meta = metadata(str(model))
    assert meta["known"] == ["dow_sin", "dow_cos", "holiday"] and meta["future_rows"] == 3
    f = Forecaster.load(str(run))
    daily = datasets.load("chicago")
    ahead = pd.DataFrame({"date": pd.date_range("2016-08-29", periods=3, freq="D")})
    got = ort.InferenceSession(str(model)).run(None, known_feeds(meta, daily, ahead, "date"))[0]
    np.testing.assert_allclose(got[0, :, 0], f.forecast()["ridership"], rtol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("settings", [MODELS[0], MODELS[2], MODELS[8]], ids=["auto", "gru", "es"])
def test_the_dynamo_exporter_gives_the_same_forecast(tmp_path, settings):
    """PyTorch's torch.export-based exporter, the one upstream keeps: the same numbers for the
    default ensemble (window norm, trend, deseasonalising), a recursive roll-out and es."""
    pytest.importorskip("onnxscript")
    data = datasets.load("airline")
    f = Forecaster(**settings).fit(data, target="passengers")
    steps = 2 * f.config_.max_step
    path = f.export_onnx(str(tmp_path / "d.onnx"), steps=steps, exporter="dynamo")
    meta = metadata(path)
    assert meta["exporter"] == "dynamo"
    want = f.forecast(steps)["passengers"].to_numpy()
    got = onnx_forecast(path, data, "month", meta)[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-4)
    rows = data[meta["inputs"]].to_numpy(np.float32)[-meta["lookback"] :]
    feeds = {"window": np.repeat(rows[None], 3, axis=0)}  # the batch axis is free
    for name in {"phase", "series"} & set(meta["graph_inputs"]):
        feeds[name] = np.zeros(3, np.int64)
    batch = ort.InferenceSession(path).run(None, feeds)[0]
    assert batch.shape == (3, steps, 1)


@pytest.mark.slow
def test_auto_turns_to_dynamo_where_torchscript_fails(tmp_path, monkeypatch):
    """A PyTorch without the TorchScript-based exporter (deprecated upstream) still exports:
    ``auto`` tries it first, then the dynamo one; where both fail, one line names both."""
    pytest.importorskip("onnxscript")
    from rnncast.forecasting import export

    data = datasets.load("airline")
    f = Forecaster(model="gru", **TINY, horizon=3).fit(data, target="passengers")
    real = export._graph

    def without_torchscript(way, *args):
        if way == "torchscript":
            raise RuntimeError("the TorchScript-based exporter was removed")
        return real(way, *args)

    monkeypatch.setattr(export, "_graph", without_torchscript)
    path = f.export_onnx(str(tmp_path / "m.onnx"))
    meta = metadata(path)
    assert meta["exporter"] == "dynamo"
    got = onnx_forecast(path, data, "month", meta)[:, 0]
    np.testing.assert_allclose(got, f.forecast()["passengers"].to_numpy(), rtol=1e-4)

    def neither(way, *args):
        raise RuntimeError(f"no {way}\nsecond line")

    monkeypatch.setattr(export, "_graph", neither)
    with pytest.raises(RnncastError, match=r"torchscript: RuntimeError: no torchscript; dynamo"):
        f.export_onnx(str(tmp_path / "none.onnx"))
    assert not (tmp_path / "none.onnx").exists()


def test_exported_quantiles_keep_each_series_floor(tmp_path):
    """Quantiles stop at 0 for a series never below 0 in its training rows (as forecast's
    do), each series its own: shop_a has that floor, shop_b (a row below 0) none."""
    rng = np.random.default_rng(0)
    t = np.arange(300)
    counts = rng.poisson(1.0 + 0.8 * np.sin(2 * np.pi * t / 7)).astype(float)
    day = pd.date_range("2020-01-01", periods=t.size)
    frames = [
        pd.DataFrame({"day": day, "shop": "shop_a", "y": counts}),
        pd.DataFrame({"day": day, "shop": "shop_b", "y": counts - 0.5}),
    ]
    f = Forecaster(
        model="gru", units=4, lookback=14, horizon=7, epochs=2, test_size=40, val_size=60,
        quantiles=(0.05, 0.95), seed=0,
    ).fit(pd.concat(frames), target="y", id="shop")  # fmt: skip
    path = f.export_onnx(str(tmp_path / "q.onnx"))
    meta = metadata(path)
    session, forecast = ort.InferenceSession(path), f.forecast()
    floored = []
    for k, name in enumerate(meta["series"]):
        window = frames[k][["y"]].to_numpy(np.float32)[-meta["lookback"] :][None]
        feeds = {"window": window, "series": np.array([k], dtype=np.int64)}
        point, every = session.run(None, feeds)
        want = forecast[forecast["shop"] == name]
        np.testing.assert_allclose(every[0, :, 0, 0], want["q0.05"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(point[0, :, 0], want["y"], rtol=1e-4, atol=1e-5)
        raw = f.predictor_.quantile_forecasts(f.data_.series(k), np.array([len(frames[k])]))
        floored.append(bool((raw[0, :, 0, 0] < np.minimum(0.0, want["y"].to_numpy())).any()))
    assert floored[0]  # shop_a's floor did work; shop_b's quantiles go below 0 as they came
