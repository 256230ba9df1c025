"""The NumPy reference against PyTorch (forward and autograd) and against finite differences."""

import numpy as np
import pytest
import torch

from rnncast.reference import GRUReference, LSTMReference, RNNReference, from_torch

LAYERS = {
    "rnn-tanh": lambda f, h: torch.nn.RNN(f, h, batch_first=True),
    "rnn-relu": lambda f, h: torch.nn.RNN(f, h, batch_first=True, nonlinearity="relu"),
    "lstm": lambda f, h: torch.nn.LSTM(f, h, batch_first=True),
    "gru": lambda f, h: torch.nn.GRU(f, h, batch_first=True),
}
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize(
    "seed, batch, steps, features, hidden",
    [(0, 1, 5, 4, 3), (1, 3, 9, 2, 6), (2, 4, 1, 5, 2), (3, 2, 20, 3, 4)],
)
def test_equals_pytorch_forward_and_backward(kind, seed, batch, steps, features, hidden):
    torch.manual_seed(seed)
    layer = LAYERS[kind](features, hidden).double()
    ref = from_torch(layer)
    x = torch.randn(batch, steps, features, dtype=torch.float64, requires_grad=True)
    y, state = layer(x)
    dy = torch.randn_like(y)
    dstate = [torch.randn_like(s) for s in (state if kind == "lstm" else (state,))]
    loss = (y * dy).sum() + sum(
        (s * d).sum() for s, d in zip(state if kind == "lstm" else (state,), dstate, strict=True)
    )
    loss.backward()
    y_ref, state_ref = ref.forward(x.detach().numpy())
    np.testing.assert_allclose(y_ref, y.detach().numpy(), rtol=0, atol=1e-10)
    states = state_ref if kind == "lstm" else (state_ref,)
    for ours, theirs in zip(states, state if kind == "lstm" else (state,), strict=True):
        np.testing.assert_allclose(ours, theirs[0].detach().numpy(), rtol=0, atol=1e-10)
    ds = [d[0].numpy() for d in dstate]
    grads = ref.backward(dy.numpy(), tuple(ds) if kind == "lstm" else ds[0])
    for name in NAMES:
        np.testing.assert_allclose(
            grads[name], getattr(layer, name).grad.numpy(), rtol=0, atol=1e-8
        )
    np.testing.assert_allclose(grads["input"], x.grad.numpy(), rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RNNReference.random(3, 4, seed=1),
        lambda: RNNReference.random(3, 4, seed=1, nonlinearity="relu"),
        lambda: LSTMReference.random(3, 4, seed=2),
        lambda: GRUReference.random(3, 4, seed=3),
    ],
)
def test_gradients_pass_a_finite_difference_check(make):
    ref = make()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 6, 3))
    weights = rng.normal(size=(2, 6, 4))

    def loss() -> float:
        return float(np.sum(ref.forward(x)[0] * weights))

    loss()
    grads = ref.backward(weights)
    eps = 1e-6
    for name in NAMES:
        param = ref.params[name]
        numeric = np.zeros_like(param)
        for idx in np.ndindex(param.shape):
            keep = param[idx]
            param[idx] = keep + eps
            up = loss()
            param[idx] = keep - eps
            down = loss()
            param[idx] = keep
            numeric[idx] = (up - down) / (2 * eps)
        error = np.linalg.norm(numeric - grads[name]) / max(
            np.linalg.norm(numeric) + np.linalg.norm(grads[name]), 1e-12
        )
        assert error < 1e-6, (name, error)


def test_gradient_per_step_is_kept_for_the_experiments():
    ref = RNNReference.random(2, 3, seed=0)
    y, _ = ref.forward(np.ones((1, 8, 2)))
    dy = np.zeros_like(y)
    dy[:, -1] = 1.0  # a loss on the last step only
    ref.backward(dy)
    assert ref.dh_.shape == (1, 8, 3)
    np.testing.assert_array_equal(ref.dh_[:, -1], dy[:, -1])


def test_from_torch_refuses_what_it_cannot_copy():
    with pytest.raises(ValueError, match="one-layer, one-direction, batch_first"):
        from_torch(torch.nn.LSTM(2, 3, num_layers=2, batch_first=True))
    with pytest.raises(ValueError, match="one-layer, one-direction, batch_first"):
        from_torch(torch.nn.GRU(2, 3))
    with pytest.raises(TypeError, match="takes nn.RNN, nn.LSTM or nn.GRU"):
        from_torch(torch.nn.Linear(2, 3))
