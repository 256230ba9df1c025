"""The ES-RNN-style hybrid (``es`` in a spec, the ``es-rnn`` preset) in a fit: coefficients
learned per series with the network, saved and loaded as one model, its settings checked."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import FitConfig, Forecaster
from rnncast.cli.app import app
from rnncast.errors import ConfigError
from rnncast.nn.smoothing import Smoothing

SMALL = dict(model="es > gru(8) > dense", lookback=24, horizon=6, epochs=4, lr=0.01, seed=0)


def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frames = []
    for k, (level, swing) in enumerate(((100, 0.3), (5_000, 0.1), (20, 0.5))):
        t = np.arange(84)
        y = level * (1 + 0.004 * t) * (1 + swing * np.sin(2 * np.pi * t / 12))
        y *= np.exp(rng.normal(scale=0.02, size=84))
        month = pd.date_range("2013-01-01", periods=84, freq="MS")
        frames.append(pd.DataFrame({"month": month, "item": f"s{k}", "y": y}))
    return pd.concat(frames)


def test_each_series_learns_its_own_smoothing_and_the_run_loads_as_it_was(tmp_path):
    data = _panel()
    f = Forecaster(**SMALL).fit(data, target="y", id="item")
    net = f.predictor_.net
    assert isinstance(net, Smoothing) and net.season == 12
    assert net.level_logit.shape == (3, 1)  # one coefficient per series and target
    assert f.config_.scaler == "mase"  # left out with es: positive, unshifted, per series
    moved = net.level_logit.detach().ravel()
    assert (moved != 0).all() and len(set(moved.tolist())) == 3  # learned, and apart
    forecast = f.forecast(6)
    assert forecast["y"].notna().all() and set(forecast["item"]) == {"s0", "s1", "s2"}
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(6), forecast)
    assert "exponential smoothing" in g.predictor_.net.spec


def test_the_series_number_reaches_the_smoothing():
    f = Forecaster(**SMALL).fit(_panel(), target="y", id="item")
    p = f.predictor_
    with torch.no_grad():
        p.net.level_logit[:], p.net.season_logit[:] = 0.0, 0.0
        p.net.level_logit[1] = 3.0  # series s1 only
    window = f.data_.series(0).frame.to_numpy()[-24:][None].astype(np.float32)
    scaled = p.scaler.transform(window[0], 0)[None].astype(np.float32)
    assert np.allclose(p.run(scaled, 0), p.run(scaled, 2))  # untouched coefficients
    assert not np.allclose(p.run(scaled, 0), p.run(scaled, 1))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        (dict(scaler="minmax"), "needs positive values unshifted"),
        (dict(window_norm="mean"), "leave out .window.norm"),
        (dict(deseason=True), "leave out .+deseason"),
        (dict(log=True), "leave out .+log"),
    ],
)
def test_settings_that_would_undo_the_smoothing_are_refused(changes, match):
    with pytest.raises(ConfigError, match=match):
        FitConfig(**{**SMALL, **changes})


def test_the_data_must_suit_it():
    data = _panel()
    with pytest.raises(ConfigError, match="give .*lookback.? ?=?24 or more"):
        Forecaster(**{**SMALL, "lookback": 20}).fit(data, target="y", id="item")
    Forecaster(**{**SMALL, "model": "es(4) > gru(4) > dense", "lookback": 8, "epochs": 1}).fit(
        data, target="y", id="item"
    )  # a shorter season of its own
    data.loc[data["item"] == "s2", "y"] -= 30.0  # values at or below zero
    with pytest.raises(ConfigError, match="es\\(\\) needs positive values.*without es"):
        Forecaster(**SMALL).fit(data, target="y", id="item")


def test_the_preset_from_the_cli(tmp_path):
    path = tmp_path / "panel.csv"
    _panel().to_csv(path, index=False)
    out = tmp_path / "run"
    args = ["fit", str(path), "--target", "y", "--id", "item", "--model", "es-rnn"]
    args += ["--lookback", "24", "--horizon", "6", "--epochs", "1", "--quiet", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["model"] == "es-rnn" and settings["scaler"] == "mase"
    result = CliRunner().invoke(app, ["forecast", str(out), "--steps", "6"])
    assert result.exit_code == 0, result.output
    bad = CliRunner().invoke(app, [*args[:-2], "--scaler", "minmax", "--out", str(out) + "2"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    assert "--scaler mase" in " ".join(bad.output.split())
    assert not (tmp_path / "run2").exists()
