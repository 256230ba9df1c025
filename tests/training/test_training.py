"""The training loop's fast path equals the straightforward one, to float rounding."""

import numpy as np
import pytest
import torch
from torch import nn

from rnncast.config import FitConfig
from rnncast.data.windows import Windows
from rnncast.nn.networks import build_network
from rnncast.nn.spec import parse_spec
from rnncast.training.loop import make_loss, make_optimizer, one_buffer, train

CPU = torch.device("cpu")


def _data() -> Windows:
    t = np.arange(300)
    values = np.stack([np.sin(t / 7), np.cos(t / 11)], axis=1).astype(np.float32)
    return Windows(values, 12, (1,), [0, 1], [1], np.arange(12, 300))


def _net(spec: str) -> nn.Module:
    torch.manual_seed(0)
    return build_network(parse_spec(spec), 2, 12, 1, 1)


def _plain_loop(net: nn.Module, windows: Windows, cfg: FitConfig) -> None:
    """What a textbook loop does: one optimizer over the separate parameters, batches in the
    order rnncast's generator draws them."""
    optimizer = make_optimizer(cfg, net.parameters())
    loss_fn, rng = make_loss(cfg.loss), np.random.default_rng(cfg.seed)
    for _ in range(cfg.epochs):
        net.train()
        order = np.arange(len(windows), dtype=np.int32)
        rng.shuffle(order)
        for first in range(0, len(order), cfg.batch_size):
            x, y = (
                torch.from_numpy(a) for a in windows.batch(order[first : first + cfg.batch_size])
            )
            optimizer.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            if cfg.clip_norm:
                nn.utils.clip_grad_norm_(net.parameters(), cfg.clip_norm)
            optimizer.step()


@pytest.mark.parametrize(
    ("spec", "optimizer", "extra"),
    [
        ("lstm(16) > dense", "adam", {}),
        ("gru(8) > dropout(0.2) > lstm(8) > dense", "rmsprop", {}),
        ("cnn(8, 3) > lstm(8) > dense", "sgd", {"momentum": 0.9}),
        ("bilstm(8) > dense", "adam", {"loss": "huber"}),
    ],
)
def test_training_equals_a_plain_loop(spec, optimizer, extra):
    cfg = FitConfig(epochs=3, batch_size=16, seed=3, val_size=0, optimizer=optimizer, **extra)
    windows = _data()
    reference = _net(spec)
    _plain_loop(reference, windows, cfg)
    fast = _net(spec)
    train(fast, windows, None, cfg, CPU)
    for (name, a), b in zip(
        reference.state_dict().items(), fast.state_dict().values(), strict=True
    ):
        # Elementwise updates over one long tensor may round in the last bit where the
        # vectorised kernel splits the work differently; nothing else may differ.
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)


def test_clipping_agrees_to_rounding():
    cfg = FitConfig(epochs=2, batch_size=16, seed=1, val_size=0, clip_norm=0.05)
    windows = _data()
    reference, fast = _net("lstm(16) > dense"), _net("lstm(16) > dense")
    _plain_loop(reference, windows, cfg)
    train(fast, windows, None, cfg, CPU)
    for a, b in zip(reference.state_dict().values(), fast.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)  # one norm, summed in one order


def test_one_buffer_views_and_releases_the_parameters():
    net = _net("lstm(8) > dense")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with one_buffer(net) as params:
        (flat,) = params
        assert flat.numel() == sum(p.numel() for p in net.parameters())
        for p in net.parameters():
            assert p.untyped_storage().data_ptr() == flat.untyped_storage().data_ptr()
        flat.data.add_(1.0)
    storages = {p.untyped_storage().data_ptr() for p in net.parameters()}
    assert len(storages) == len(list(net.parameters()))  # each owns its memory again
    for name, value in net.state_dict().items():
        torch.testing.assert_close(value, before[name] + 1.0)
