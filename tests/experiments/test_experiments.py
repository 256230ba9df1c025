"""The experiments run end to end on tiny settings and write their files."""

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from rnncast import Forecaster
from rnncast.cli.app import app
from rnncast.experiments import gates, gradients, memory
from rnncast.experiments.tasks import adding_problem, recall_problem

runner = CliRunner()


def test_tasks_have_the_known_answer():
    x, y = adding_problem(50, 20, seed=1)
    marked = (x[..., 0] * x[..., 1]).sum(axis=1)
    np.testing.assert_allclose(marked, y)
    x, y = recall_problem(30, 10, lag=3, seed=2)
    assert np.array_equal(y, (x[:, 7, 0] > 0).astype(float))


@pytest.mark.slow
def test_gradients_vanish_for_the_simple_rnn_at_initialisation():
    rows = gradients.run(gradients.GradientSettings(steps=40, hidden=8, train_steps=2))
    init = {
        r["distance"]: r["grad_norm"]
        for r in rows
        if r["variant"] == "SimpleRNN tanh" and r["phase"] == "initialisation"
    }
    assert init[39] < 1e-3 * init[0]  # forty steps back, the gradient has all but vanished
    ortho = {
        r["distance"]: r["grad_norm"]
        for r in rows
        if r["variant"] == "SimpleRNN tanh, orthogonal" and r["phase"] == "initialisation"
    }
    assert ortho[39] / ortho[0] > init[39] / init[0]  # orthogonal weights keep more of it


def test_cli_commands_write_their_files(tmp_path):
    result = runner.invoke(
        app,
        [
            "gradients",
            "--out",
            str(tmp_path / "g"),
            "--length",
            "12",
            "--hidden",
            "4",
            "--train-steps",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "g" / "gradients.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 * 2 * 12
    assert (tmp_path / "g" / "gradients.png").stat().st_size > 10_000
    result = runner.invoke(
        app,
        [
            "memory",
            "--out",
            str(tmp_path / "m"),
            "--lags",
            "1,3",
            "--hidden",
            "4",
            "--train-steps",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    with open(tmp_path / "m" / "memory.csv") as fh:
        assert [(r["cell"], r["lag"]) for r in csv.DictReader(fh)][:2] == [
            ("SimpleRNN", "1"),
            ("SimpleRNN", "3"),
        ]
    result = runner.invoke(app, ["memory", "--lags", "0,x", "--out", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "--lags must be whole numbers" in result.stderr


def test_memory_is_learned_at_lag_one():
    rows = memory.run(memory.MemorySettings(lags=[1], hidden=8, train_steps=150))
    assert all(r["accuracy"] > 95 for r in rows)


@pytest.mark.parametrize(
    "model, names",
    [("lstm", {"forget", "input", "output", "cell"}), ("gru", {"update", "reset", "candidate"})],
)
def test_gates_of_a_fitted_run(model, names, seasonal_frame, tmp_path):
    f = Forecaster(model=model, units=5, lookback=12, epochs=2, test_size=12, val_size=0)
    f.fit(seasonal_frame, target="y")
    path = f.save(str(tmp_path / "run"))
    result = runner.invoke(app, ["gates", path])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "gates" / "gates.png").exists()
    found = gates.window_gates(Forecaster.load(path))
    assert set(found["gates"]) == names
    assert all(v.shape == (12, 5) for v in found["gates"].values())
    sigmoid = [v for k, v in found["gates"].items() if k not in ("cell", "candidate")]
    assert all(((g > 0) & (g < 1)).all() for g in sigmoid)


def test_gates_of_the_default_model_read_what_its_member_reads(tmp_path):
    # the default: an ensemble whose members read each window on its own level, in logs, with
    # the trend beside it; gates shows the chosen member's first layer fed exactly that
    import torch

    from rnncast import datasets
    from rnncast.forecasting.predictor import trained_parts

    f = Forecaster(epochs=2, members=3, test_size=12, val_size=0)
    path = f.fit(datasets.load("airline"), target="passengers").save(str(tmp_path / "run"))
    result = runner.invoke(app, ["gates", path, "--member", "2"])
    assert result.exit_code == 0 and "member 2 of 3" in result.output, result.output
    assert runner.invoke(app, ["gates", path, "--member", "4"]).exit_code == 2
    g = Forecaster.load(path)
    found = gates.window_gates(g, member=2)
    lstm = trained_parts(g.predictor_.net)[1].net.net.blocks[0].rnn
    seen = []
    lstm.register_forward_pre_hook(lambda m, args: seen.append(args[0].clone()))
    data = g.data_.series(g.usable_[0])
    g.predictor_.one_step(data, np.array([len(data.frame) - 1]))
    np.testing.assert_allclose(found["inputs"], seen[0][0].double().numpy(), atol=1e-6)
    assert found["inputs"].shape == (12, 2)  # the window's log ratios, and its trend beside
    with torch.no_grad():
        _, (_, cell) = lstm(seen[0])
    np.testing.assert_allclose(found["gates"]["cell"][-1], cell[0, 0].double(), atol=1e-5)


def test_gates_refuses_other_models(seasonal_frame, tmp_path):
    f = Forecaster(model="dense", units=4, lookback=12, epochs=1, test_size=12, val_size=0)
    path = f.fit(seasonal_frame, target="y").save(str(tmp_path / "run"))
    result = runner.invoke(app, ["gates", path])
    assert result.exit_code == 2 and "first layer is an LSTM or GRU" in result.stderr
