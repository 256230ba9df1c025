import pytest
import torch

from rnncast.errors import ConfigError
from rnncast.nn.blocks import ConvLSTM, EncoderDecoder
from rnncast.nn.layers import RecurrentLayer
from rnncast.nn.networks import build_network
from rnncast.nn.spec import PRESETS
from rnncast.nn.summary import summarize

SPECS = [
    *PRESETS,
    "lstm(16, relu) > lstm(8) > dropout(0.2) > dense",
    "bigru(6, merge=sum) > bilstm(4) > dense",
    "rnn(8, relu) > dense(5, relu) > dense(activation=relu)",
    "lstm(8, orthogonal=true, forget_bias=1) > dense",
    "cnn(filters=4, kernel=2, sub=2, pool=2) > gru(6)",
    "convlstm(filters=3, kernel=3, sub=4) > dense(8, tanh) > dense",
    "seq2seq(6, cell=gru) > dropout(0.1) > dense",
]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("steps, targets", [(1, 1), (3, 1), (2, 3)])
def test_every_architecture_maps_windows_to_forecasts(spec, steps, targets):
    net = build_network(spec, 3, lookback=8, n_steps=steps, n_targets=targets, season=4)
    y = net(torch.rand(5, 8, 3) + 0.1)  # positive, as the smoothing of es-rnn needs
    assert y.shape == (5, steps, targets)
    y.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    assert "Total params" in summarize(net, (1, 8, 3))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_step_loop_equals_fused_kernel(cell, bidirectional):
    torch.manual_seed(0)
    layer = RecurrentLayer(cell, 3, 6, bidirectional=bidirectional).double()
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    torch.testing.assert_close(layer.forward_loop(x), layer(x), rtol=1e-12, atol=1e-12)
    state = layer.forward_with_state(x)[1]
    looped = layer.forward_with_state(x, loop=True)[1]
    for a, b in zip(
        state if cell == "lstm" else [state], looped if cell == "lstm" else [looped], strict=True
    ):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_relu_lstm_uses_relu():
    torch.manual_seed(0)
    tanh, relu = RecurrentLayer("lstm", 2, 3, "tanh"), RecurrentLayer("lstm", 2, 3, "relu")
    relu.load_state_dict(tanh.state_dict())
    x = torch.randn(1, 5, 2) * 5
    assert not torch.allclose(tanh(x), relu(x))


def test_convlstm_with_one_position_is_an_lstm():
    """Kernel 1 on sub-sequences of one step: the convolutions become the LSTM's products."""
    torch.manual_seed(0)
    conv = ConvLSTM(3, lookback=5, filters=4, kernel=1, sub=5).double()
    lstm = torch.nn.LSTM(3, 4, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(conv.input_conv.weight[:, :, 0])
        lstm.bias_ih_l0.copy_(conv.input_conv.bias)
        lstm.weight_hh_l0.copy_(conv.hidden_conv.weight[:, :, 0])
        lstm.bias_hh_l0.zero_()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    torch.testing.assert_close(conv(x), lstm(x)[0][:, -1], rtol=1e-12, atol=1e-12)


def test_encoder_state_reaches_the_decoder():
    torch.manual_seed(0)
    net = EncoderDecoder("lstm", 1, units=4, n_steps=3)
    a, b = torch.zeros(1, 6, 1), torch.zeros(1, 6, 1)
    b[0, 0, 0] = 5.0  # differs only early in the window, long before the last output
    assert not torch.allclose(net(a), net(b))


def test_initialisation_options():
    layer = RecurrentLayer("lstm", 2, 4, orthogonal=True, forget_bias=1.0)
    w = layer.rnn.weight_hh_l0.detach()
    for gate in range(4):
        block = w[gate * 4 : (gate + 1) * 4]
        torch.testing.assert_close(block @ block.T, torch.eye(4), atol=1e-5, rtol=0)
    forget = layer.rnn.bias_ih_l0[4:8] + layer.rnn.bias_hh_l0[4:8]
    assert torch.equal(forget.detach(), torch.ones(4))


def _count(net) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize(
    "spec, inputs, expected",
    [
        # PyTorch keeps two bias vectors per gate block (b_ih and b_hh); Keras keeps one, so
        # Keras' LSTM has 4*(h*(i+h) + h) and ours 4*(h*(i+h) + 2h).
        ("lstm(50) > dense", 1, 4 * (50 * (1 + 50) + 2 * 50) + (50 + 1)),
        ("gru(32) > dense", 3, 3 * (32 * (3 + 32) + 2 * 32) + (32 + 1)),
        ("rnn(10) > dense", 2, 10 * (2 + 10) + 2 * 10 + 11),
        ("bilstm(8) > dense", 1, 2 * 4 * (8 * (1 + 8) + 16) + (16 + 1)),
        ("bilstm(8, merge=sum) > dense", 1, 2 * 4 * (8 * (1 + 8) + 16) + (8 + 1)),
        ("dense(100, relu) > dense", 2, (2 * 12 * 100 + 100) + (100 + 1)),
        (PRESETS["stacked-lstm"], 1, 4 * (50 * 51 + 100) + 3 * 4 * (50 * 100 + 100) + 51),
    ],
)
def test_parameter_counts_match_closed_forms(spec, inputs, expected):
    assert _count(build_network(spec, input_size=inputs, lookback=12)) == expected


def test_output_size_mismatch_is_explained():
    with pytest.raises(ConfigError, match=r"dense\(1\) cannot produce the output: it needs 3"):
        build_network("lstm(4) > dense(1)", 1, lookback=5, n_steps=3)


def test_front_end_must_fit_the_window():
    with pytest.raises(ConfigError, match="not a multiple of 4"):
        build_network("convlstm(sub=4)", 1, lookback=10)
    with pytest.raises(ConfigError, match="does not fit sub-sequences of 2 steps"):
        build_network("cnn(kernel=2, sub=2, pool=2) > lstm(4)", 1, lookback=4)
