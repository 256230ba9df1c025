import pytest
import torch

from rnncast.nn.layers import RecurrentLayer
from rnncast.nn.networks import build_network
from rnncast.nn.summary import summarize


@pytest.mark.parametrize("model", ["lstm", "gru", "rnn", "dense"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("horizon, targets", [(1, 1), (4, 1), (3, 2)])
def test_every_network_maps_windows_to_forecasts(model, activation, horizon, targets):
    net = build_network(
        model,
        input_size=3,
        units=(5, 4),
        horizon=horizon,
        n_targets=targets,
        lookback=7,
        dropout=0.1,
        activation=activation,
    )
    y = net(torch.randn(2, 7, 3))
    assert y.shape == (2, horizon, targets)
    y.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_loop_equals_fused_kernel(cell):
    torch.manual_seed(0)
    layer = RecurrentLayer(cell, input_size=3, hidden_size=6).double()
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    torch.testing.assert_close(layer.forward_loop(x), layer(x), rtol=1e-12, atol=1e-12)


def test_relu_lstm_uses_relu():
    torch.manual_seed(0)
    tanh, relu = RecurrentLayer("lstm", 2, 3, "tanh"), RecurrentLayer("lstm", 2, 3, "relu")
    relu.load_state_dict(tanh.state_dict())
    x = torch.randn(1, 5, 2) * 5
    assert not torch.allclose(tanh(x), relu(x))


def test_parameter_counts_match_the_textbook():
    # LSTM: 4 * (units * (inputs + units) + 2 * units) with PyTorch's two bias vectors.
    net = build_network("lstm", input_size=1, units=(50, 50), horizon=1, n_targets=1)
    lstm1, lstm2 = 4 * (50 * 51 + 100), 4 * (50 * 100 + 100)
    assert sum(p.numel() for p in net.parameters()) == lstm1 + lstm2 + 51
    text = summarize(net, (1, 60, 1))
    assert f"{lstm1:,}" in text and f"{lstm2:,}" in text and "(B, 60, 50)" in text


def test_unknown_cell():
    with pytest.raises(ValueError, match="`cell` must be one of"):
        RecurrentLayer("lstn", 1, 1)
