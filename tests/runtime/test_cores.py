"""Batches cut into shards across cores: same gradients, repeatable, resumable, as accurate.

The rest of the suite runs on one PyTorch thread (conftest), where nothing is sharded; every
test here asks for two threads, as a 2-core machine has.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from helpers import StopAfter
from rnncast import Forecaster, datasets
from rnncast.config import FitConfig
from rnncast.data.windows import Windows
from rnncast.nn.layers import Dropout, recurrent_depth
from rnncast.nn.networks import build_network
from rnncast.nn.spec import parse_spec
from rnncast.runtime import cores
from rnncast.training import loop as training
from rnncast.training.loop import make_optimizer, one_buffer, train

CPU = torch.device("cpu")
STACKED = "lstm(8) > dropout(0.2) > gru(8) > dense"


@pytest.fixture(autouse=True)
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def shard_calls(monkeypatch) -> list[int]:
    """Counts the training steps that really ran in shards."""
    calls: list[int] = []
    sharded = training._sharded_gradients

    def spy(net, optimizer, cfg, x, *args):
        calls.append(len(x))
        return sharded(net, optimizer, cfg, x, *args)

    monkeypatch.setattr(training, "_sharded_gradients", spy)
    return calls


def _windows(n: int = 200, seed: int = 0) -> Windows:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.1, n)
    values = np.stack([np.sin(t / 7) + noise, np.cos(t / 11)], axis=1).astype(np.float32)
    return Windows(values, 12, (1,), [0, 1], [1], np.arange(12, n))


def _net(spec: str = STACKED) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_network(parse_spec(spec), 2, 12, 1, 1)


def test_shards_follow_the_threads_and_the_batch():
    assert cores.count(32, CPU) == 2
    assert cores.count(15, CPU) == 1  # two shards would hold fewer than MIN_SHARD windows
    assert cores.count(32, torch.device("meta")) == 1  # not a CPU
    torch.set_num_threads(1)
    assert cores.count(32, CPU) == 1


def test_workers_run_on_one_thread_and_the_caller_keeps_its_own():
    with cores.spread(2):
        assert torch.get_num_threads() == 1  # the caller only waits meanwhile
        seen = cores.run(lambda k: (k, torch.get_num_threads(), cores.count(64, CPU)), [0, 1])
    assert seen == [(0, 1, 1), (1, 1, 1)]  # in order; a worker never shards again
    assert torch.get_num_threads() == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_starts_its_own_workers():
    with cores.spread(2):
        cores.run(lambda k: k, [0, 1])  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # the child: the parent's worker threads are not here
        code = 1
        try:
            with cores.spread(2):
                code = 0 if cores.run(lambda k: k * 2, [1, 2]) == [2, 4] else 1
        finally:
            os._exit(code)
    deadline = time.monotonic() + 60
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the forked child hung on the parent's workers")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(done[1]) == 0


def test_only_stacked_recurrent_networks_train_in_shards():
    assert training.training_shards(_net(), 32, CPU) == 2
    assert training.training_shards(_net("lstm(8) > dense"), 32, CPU) == 1
    assert training.training_shards(_net("bilstm(8) > dense"), 32, CPU) == 1
    assert training.training_shards(_net("bilstm(8) > bilstm(8) > dense"), 32, CPU) == 2
    assert recurrent_depth(_net("cnn(8, 3) > lstm(8) > dense")) == 1


def test_sharded_gradients_equal_the_whole_batch():
    spec = "lstm(8) > gru(8) > dense"  # no dropout: the same function of the same weights
    x, y = torch.randn(32, 12, 2), torch.randn(32, 1, 1)
    whole = _net(spec)
    training.make_loss("mse")(whole(x), y).backward()
    net = _net(spec)
    with one_buffer(net) as params, cores.spread(2):
        cfg = FitConfig(loss="mse")
        optimizer = make_optimizer(cfg, params)
        loss = training._sharded_gradients(net, optimizer, cfg, x, y, None, CPU)
        grads = [p.grad.clone() for p in net.parameters()]
    assert loss.item() == pytest.approx(training.make_loss("mse")(whole(x), y).item(), rel=1e-6)
    for p, g in zip(whole.parameters(), grads, strict=True):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-7)


def test_sharded_training_equals_the_whole_batch_loop(shard_calls):
    cfg = FitConfig(epochs=3, batch_size=32, seed=3, val_size=0)
    spec = "lstm(8) > gru(8) > dense"
    whole, sharded = _net(spec), _net(spec)
    train(sharded, _windows(), None, cfg, CPU)
    assert shard_calls  # it really ran in shards
    torch.set_num_threads(1)  # one thread: no shards
    train(whole, _windows(), None, cfg, CPU)
    for (name, a), b in zip(whole.state_dict().items(), sharded.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


def test_sharded_training_with_dropout_repeats_exactly(shard_calls):
    cfg = FitConfig(epochs=2, batch_size=32, seed=5, val_size=0)
    first, second = _net(), _net()
    torch.manual_seed(5)  # as Forecaster.fit seeds before training
    train(first, _windows(), None, cfg, CPU)
    torch.manual_seed(5)
    train(second, _windows(), None, cfg, CPU)
    assert shard_calls
    for a, b in zip(first.state_dict().values(), second.state_dict().values(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("after", [2, 9])
def test_resume_in_shards_ends_with_the_same_weights(after, shard_calls):
    cfg = FitConfig(epochs=3, batch_size=32, seed=2, val_size=0, patience=0)
    val_set = _windows(80, 1)
    whole = _net()
    expected = train(whole, _windows(), val_set, cfg, CPU)
    net = _net()
    stopped = train(net, _windows(), val_set, cfg, CPU, stop=StopAfter(after))
    assert stopped.interrupted is not None and shard_calls
    torch.manual_seed(99)  # the checkpoint's random state wins over whatever came since
    resumed = train(net, _windows(), val_set, cfg, CPU, resume=(stopped, stopped.interrupted))
    for a, b in zip(whole.state_dict().values(), net.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert resumed.train_loss == expected.train_loss


def test_dropout_in_a_shard_draws_from_the_shard_seed():
    layer = Dropout(0.25).train()
    x = torch.ones(200_000)
    with cores.seeded(7):
        a = layer(x)
    with cores.seeded(7):
        b = layer(x)
    with cores.seeded(8):
        c = layer(x)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.unique().tolist() == [0.0, pytest.approx(1 / 0.75)]
    assert (a == 0).float().mean().item() == pytest.approx(0.25, abs=0.005)
    assert torch.equal(layer.eval()(x), x)


def test_sharded_forecasts_equal_the_whole_batch():
    net = _net().eval()
    x = torch.randn(100, 12, 2)
    with torch.inference_mode():
        torch.testing.assert_close(cores.forward(net, x), net(x), rtol=1e-6, atol=1e-7)


def _test_rmse(seed: int) -> float:
    f = Forecaster(
        model="lstm(16) > dropout(0.2) > lstm(16) > dense",
        lookback=24,
        epochs=25,
        batch_size=32,
        val_size=0,
        test_size=36,
        seed=seed,
        device="cpu",  # shards are a CPU's
        verbose=False,
    ).fit(datasets.load("electricity"), target="total", date="date")
    return f.metrics_["test"]["one_step"]["model"]["rmse"]


@pytest.mark.slow
def test_sharded_training_is_as_accurate_within_seed_noise(monkeypatch, shard_calls):
    """On real data, the test RMSE of the sharded fit lies within the spread of the fits
    that train on whole batches with other seeds."""
    sharded = _test_rmse(0)
    assert shard_calls
    monkeypatch.setattr(training, "training_shards", lambda *args: 1)
    whole = [_test_rmse(seed) for seed in (0, 1, 2)]
    spread = max(whole) - min(whole)
    assert min(whole) - spread <= sharded <= max(whole) + spread, (sharded, whole)


@pytest.mark.slow
def test_cli_stop_and_resume_in_shards_give_the_uninterrupted_weights(tmp_path, shard_calls):
    """Ctrl-C in the middle of sharded training (two threads), then fit --resume."""
    settings = dict(
        model="lstm(8) > dropout(0.1) > lstm(8) > dense", lookback=12, epochs=300, batch_size=32
    )
    settings["device"] = "cpu"  # shards are a CPU's
    args = ["fit", "airline", "--target", "passengers", "--patience", "0", "-q"]
    for key, value in settings.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    run, env = tmp_path / "stopped", {**os.environ, "OMP_NUM_THREADS": "2"}
    rnncast = [sys.executable, "-m", "rnncast"]
    proc = subprocess.Popen(
        [*rnncast, *args, "--out", str(run)], stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / ".stopped.lock").exists():  # taken just before training
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.4)  # 300 epochs take ~1.3 s on a quiet machine: stop early in them
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    position = json.loads((run / "checkpoint.json").read_text())["position"]
    assert 1 <= position["epoch"] < 300
    resumed = subprocess.run(
        [*rnncast, "fit", "--resume", str(run), "-q"], capture_output=True, text=True, env=env
    )
    assert resumed.returncode == 0, resumed.stderr
    whole = Forecaster(**settings, patience=0).fit(datasets.path("airline"), target="passengers")
    assert shard_calls  # the in-process fit, on two threads like the CLI's, ran in shards
    saved = Forecaster.load(str(run)).predictor_.net.state_dict()
    for name, tensor in whole.predictor_.net.state_dict().items():
        assert torch.equal(tensor, saved[name]), name
