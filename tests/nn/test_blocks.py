import pytest
import torch

from rnncast.errors import ConfigError
from rnncast.nn.blocks import ConvLSTM, EncoderDecoder, SubsequenceConv
from rnncast.nn.layers import Dropout, RecurrentLayer


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


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_the_step_by_step_loop_equals_the_fused_layer(cell):
    torch.manual_seed(0)
    layer = RecurrentLayer(cell, 3, 5, bidirectional=True, merge="sum")
    x = torch.randn(2, 7, 3)
    torch.testing.assert_close(layer.forward_loop(x), layer(x), rtol=1e-5, atol=1e-6)
    assert layer(x).shape == (2, 7, 5)


def test_lstm_forget_bias_is_set_once():
    layer = RecurrentLayer("lstm", 1, 4, forget_bias=1.0)
    assert torch.all(layer.rnn.bias_ih_l0[4:8] == 1) and torch.all(layer.rnn.bias_hh_l0[4:8] == 0)


def test_dropout_is_off_in_evaluation():
    x = torch.ones(1000)
    assert torch.equal(Dropout(0.5).eval()(x), x) and not torch.equal(Dropout(0.5)(x), x)
