"""Ensembles of networks (``members``): the median of their forecasts, saved, loaded and
resumed as one model."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from rnncast import Forecaster, datasets
from rnncast.cli.app import app
from rnncast.nn.networks import Ensemble, build_network
from rnncast.persistence.checkpoint import TrainingInterrupted

SETTINGS = dict(model="gru", units=8, lookback=12, horizon=3, epochs=3, batch_size=16, seed=0)


def test_the_forecast_is_the_median_of_the_members():
    torch.manual_seed(0)
    members = [build_network("gru(4) > dense", 1, 6, 2, 1) for _ in range(3)]
    x = torch.rand(5, 6, 1)
    outputs = torch.stack([m(x) for m in members])
    torch.testing.assert_close(Ensemble(members)(x), outputs.median(dim=0).values)
    pair = Ensemble(members[:2])(x)
    torch.testing.assert_close(pair, outputs[:2].mean(dim=0))  # an even count: the middle two


def test_members_train_apart_and_save_load_as_one(tmp_path):
    data = datasets.load("airline")
    f = Forecaster(**SETTINGS, members=3).fit(data, target="passengers")
    net = f.predictor_.net
    assert isinstance(net, Ensemble) and len(net.members) == 3
    first, second = (list(m.parameters())[0] for m in net.members[:2])
    assert not torch.equal(first, second)
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    pd.testing.assert_frame_equal(g.forecast(6), f.forecast(6))
    single = Forecaster(**SETTINGS).fit(data, target="passengers")
    for a, b in zip(single.predictor_.net.parameters(), net.members[0].parameters(), strict=True):
        assert a.shape == b.shape


@pytest.mark.parametrize("stop_at", [2, 5])  # in the first member, in the second
def test_an_interrupted_ensemble_resumes_to_the_uninterrupted_weights(tmp_path, stop_at):
    data = tmp_path / "airline.csv"
    datasets.load("airline").to_csv(data, index=False)
    settings = {**SETTINGS, "members": 3, "dropout": 0.2}
    whole = Forecaster(**settings).fit(str(data), target="passengers")
    calls = []

    def interrupt(epoch, train_loss, val_loss):
        calls.append(epoch)
        if len(calls) == stop_at:
            os.kill(os.getpid(), signal.SIGINT)

    ckpt = tmp_path / "ckpt"
    with pytest.raises(TrainingInterrupted):
        Forecaster(**settings).fit(
            str(data), target="passengers", on_epoch=interrupt, checkpoint=str(ckpt)
        )
    resumed = Forecaster.resume(str(ckpt))
    for (name, a), b in zip(
        whole.predictor_.net.state_dict().items(),
        resumed.predictor_.net.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b), name
    pd.testing.assert_frame_equal(resumed.forecast(3), whole.forecast(3))


def test_the_cli_says_it_trained_an_ensemble(tmp_path):
    args = ["fit", "airline", "--target", "passengers", "--members", "2", "--epochs", "1"]
    result = CliRunner().invoke(app, [*args, "-q", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Trained 2 members in" in text and "median of 2 LSTM(16)" in text
    # how the last member's training ended, said once (not "ran all 1 epochs, ran 1 epochs")
    assert "the last member: ran its one epoch; kept epoch 1." in text


def test_an_ensemble_stopped_early_says_after_how_many_epochs():
    from rnncast.jobs.fit import _trained
    from rnncast.training.loop import History

    h = History()
    h.seconds, h.train_windows, h.processes, h.epochs_run, h.best_epoch = 1.0, 10, 1, 9, 4
    h.stop_reason = "no validation improvement for 5 epochs"
    line = _trained(2, h)
    assert "the last member: no validation improvement for 5 epochs (after 9 epochs); " in line
    assert line.endswith("kept epoch 4.")


def test_one_epoch_is_said_in_the_singular():
    from rnncast.jobs.fit import _trained
    from rnncast.training.loop import History

    h = History()
    h.seconds, h.train_windows, h.processes, h.epochs_run, h.best_epoch = 1.0, 10, 1, 1, 1
    h.stop_reason = "ran its one epoch"
    assert _trained(1, h).startswith("Trained 1 epoch in 1.0 s (10 windows); ran its one")
    h.epochs_run, h.stop_reason = 1, "the loss was not finite"
    assert "(after 1 epoch)" in _trained(2, h)
    h.epochs_run = 3
    assert _trained(1, h).startswith("Trained 3 epochs in")
