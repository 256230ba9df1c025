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


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dilation, steps", [(2, 8), (3, 10), (12, 30)])
def test_a_dilated_layer_runs_interleaved_subsequences_through_one_cell(cell, dilation, steps):
    """Step t's state comes from step t - d: the output at each step equals the cell run
    alone over the steps congruent to it (after the zero padding in front)."""
    torch.manual_seed(0)
    layer = RecurrentLayer(cell, input_size=2, hidden_size=4, dilation=dilation)
    x = torch.rand(3, steps, 2)
    out = layer(x)
    assert out.shape == (3, steps, 4)
    pad = -steps % dilation
    padded = torch.nn.functional.pad(x, (0, 0, pad, 0))
    for j in range(dilation):
        alone, _ = layer.rnn(padded[:, j::dilation])  # (3, n, 4)
        positions = torch.arange(j, steps + pad, dilation) - pad
        kept = positions >= 0
        torch.testing.assert_close(out[:, positions[kept]], alone[:, kept], rtol=1e-5, atol=1e-6)


def test_dilation_one_is_the_ordinary_layer():
    torch.manual_seed(0)
    plain = RecurrentLayer("lstm", 2, 4)
    torch.manual_seed(0)
    dilated = RecurrentLayer("lstm", 2, 4, dilation=1)
    x = torch.rand(2, 7, 2)
    torch.testing.assert_close(plain(x), dilated(x), rtol=0, atol=0)
