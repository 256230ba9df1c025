"""Ensembles over lookbacks and losses: member k reads its own length of history and trains
on its own loss; the whole saved, loaded and resumed as one model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import FitConfig, Forecaster, datasets
from rnncast.cli.app import app
from rnncast.errors import ConfigError
from rnncast.nn.networks import Ensemble, Recent

SETTINGS = dict(model="gru", units=8, horizon=3, epochs=2, batch_size=32, seed=0)


def test_each_member_takes_its_lookback_and_loss():
    cfg = FitConfig(**SETTINGS, lookbacks="6,12", losses="mae,smape", members=4)
    assert cfg.lookback == 12 and cfg.lookbacks == (6, 12)
    got = [(cfg.member(k).lookback, cfg.member(k).loss, cfg.member(k).seed) for k in range(4)]
    assert got == [(6, "mae", 0), (12, "mae", 1), (6, "smape", 2), (12, "smape", 3)]
    assert FitConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="need at least 4 `members`, got 3"):
        FitConfig(**SETTINGS, lookbacks=(6, 12), losses=("mae", "smape"), members=3)
    with pytest.raises(ConfigError, match="`lookback` \\(8\\) is shorter than the longest"):
        FitConfig(**SETTINGS, lookback=8, lookbacks=(6, 12), members=2)
    with pytest.raises(ConfigError, match="`losses` must be one of"):
        FitConfig(**SETTINGS, losses="mae,cosh", members=2)


def test_a_short_member_reads_only_the_end_of_each_window(tmp_path):
    data = datasets.load("airline")
    f = Forecaster(**SETTINGS, lookbacks=(6, 12), losses=("mae", "mse"), members=4)
    f.fit(data, target="passengers")
    net = f.predictor_.net
    assert isinstance(net, Ensemble) and [isinstance(m, Recent) for m in net.members] == [
        True,
        False,
        True,
        False,
    ]
    assert f.predictor_.lookback == 12 and "the last 6 rows" in net.spec
    x = torch.rand(4, 12, 1, device=f.predictor_.device)
    short = net.members[0]
    torch.testing.assert_close(short(x), short.net(x[:, -6:]))
    x2 = x.clone()
    x2[:, :6] += 100.0  # rows the short member never reads
    torch.testing.assert_close(short(x2), short(x))
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(6), f.forecast(6))


def test_members_train_on_their_own_loss():
    """(mae, mse) against (mse, mse): the first member differs, the second, with the same
    initial weights, seed and loss, is the same network."""
    data = datasets.load("airline")
    fits = [
        Forecaster(**SETTINGS, lookback=12, losses=losses, members=2).fit(data, target="passengers")
        for losses in (("mae", "mse"), ("mse",))
    ]
    (first_a, second_a), (first_b, second_b) = (f.predictor_.net.members for f in fits)
    for a, b in zip(second_a.parameters(), second_b.parameters(), strict=True):
        assert torch.equal(a, b)
    assert any(
        not torch.equal(a, b)
        for a, b in zip(first_a.parameters(), first_b.parameters(), strict=True)
    )


def test_variants_from_the_cli(tmp_path):
    out = tmp_path / "run"
    args = ["fit", "airline", "--target", "passengers", "--members", "2", "--epochs", "1"]
    args += ["--lookbacks", "6,12", "--losses", "mae", "-q", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["lookbacks"] == [6, 12] and settings["lookback"] == 12
    assert "over lookbacks 6/12 and losses mae" in " ".join(result.output.split())
    assert np.isfinite(Forecaster.load(str(out)).forecast(3)["passengers"]).all()
