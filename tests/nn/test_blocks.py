import pytest
import torch

from rnncast.errors import ConfigError
from rnncast.nn.blocks import ConvLSTM, EncoderDecoder, SubsequenceConv


def test_subsequences_are_convolved_one_by_one():
    conv = SubsequenceConv(1, lookback=6, filters=2, kernel=1, sub=2, pool=1)
    x = torch.arange(12.0).reshape(2, 6, 1)
    y = conv(x)  # (2, 2 sub-sequences, 2 filters * 3 positions)
    assert y.shape == (2, 2, 6)
    # the second sub-sequence of the first window is the first of a window shifted by 3
    shifted = torch.cat([x[:, 3:], x[:, :3]], dim=1)
    torch.testing.assert_close(conv(shifted)[:, 0], y[:, 1])


def test_a_lookback_that_does_not_split_is_refused():
    with pytest.raises(ConfigError, match="not a multiple of 4"):
        ConvLSTM(1, lookback=6, filters=2, kernel=2, sub=4)


def test_the_decoder_emits_one_state_per_step_and_depends_on_the_window():
    net = EncoderDecoder("lstm", 2, units=4, n_steps=5)
    a, b = net(torch.zeros(1, 8, 2)), net(torch.ones(1, 8, 2))
    assert a.shape == (1, 5, 4) and not torch.allclose(a, b)
