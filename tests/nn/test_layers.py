import pytest
import torch

from rnncast.nn.layers import Dropout, RecurrentLayer, recurrent_depth
from rnncast.nn.networks import build_network
from rnncast.nn.spec import parse_spec


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


def test_recurrent_depth_counts_stacked_recurrent_layers():
    net = build_network(parse_spec("lstm(4) > dropout(0.1) > gru(4) > dense"), 1, 6, 1, 1)
    assert recurrent_depth(net) == 2
    assert recurrent_depth(build_network(parse_spec("dense(4) > dense"), 1, 6, 1, 1)) == 0


def test_a_bad_cell_or_activation_is_refused():
    with pytest.raises(ValueError, match="`cell` must be one of"):
        RecurrentLayer("lstn", 1, 4)
    with pytest.raises(ValueError, match="SimpleRNN's activation must be tanh or relu"):
        RecurrentLayer("rnn", 1, 4, activation="sigmoid")
