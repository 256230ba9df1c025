"""Whole layers over a sequence: forward keeps every step's cache, backward walks back in time.

Backpropagation through time: the loss depends on h_k through every later step, so
∂L/∂h_k = ∂ℓ/∂y_k + (∂h_{k+1}/∂h_k)ᵀ ∂L/∂h_{k+1} — a sum over time of products of Jacobians.
:attr:`Reference.dh_` keeps ∂L/∂h_k for every k after :meth:`Reference.backward`, which is
what the vanishing-gradient experiment plots.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnncast.reference import cells

NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


class Reference:
    """Base of the three references: parameters keyed by PyTorch's names, float64."""

    gates = 1

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.params = {k: np.asarray(params[k], dtype=np.float64) for k in NAMES}
        self.hidden_size = self.params["weight_hh_l0"].shape[1]
        self.input_size = self.params["weight_ih_l0"].shape[1]
        expected = self.gates * self.hidden_size
        if self.params["weight_ih_l0"].shape[0] != expected:
            raise ValueError(f"weight_ih_l0 must have {expected} rows for {type(self).__name__}.")

    @classmethod
    def random(cls, input_size: int, hidden_size: int, seed: int = 0, **kwargs: Any):
        """Uniform(−1/√H, 1/√H) weights, as PyTorch initialises them."""
        rng = np.random.default_rng(seed)
        bound = 1 / np.sqrt(hidden_size)
        g = cls.gates * hidden_size
        shapes = {
            "weight_ih_l0": (g, input_size),
            "weight_hh_l0": (g, hidden_size),
            "bias_ih_l0": (g,),
            "bias_hh_l0": (g,),
        }
        return cls({k: rng.uniform(-bound, bound, s) for k, s in shapes.items()}, **kwargs)

    def forward(self, x: np.ndarray, state=None):
        """Run ``x`` (B, T, F); returns outputs y (B, T, H) and the final state."""
        raise NotImplementedError

    def backward(self, dy: np.ndarray, dstate=None) -> dict[str, np.ndarray]:
        """Gradients of a loss given ∂L/∂y (B, T, H) (and optionally ∂L/∂final state) after
        :meth:`forward`: every parameter under PyTorch's name, and ``input`` (B, T, F)."""
        raise NotImplementedError

    def _accumulate(self, grads, d_in, d_hid, x_t, h_prev) -> None:
        grads["weight_ih_l0"] += d_in.T @ x_t
        grads["bias_ih_l0"] += d_in.sum(axis=0)
        grads["weight_hh_l0"] += d_hid.T @ h_prev
        grads["bias_hh_l0"] += d_hid.sum(axis=0)

    def _zero_grads(self, x_shape) -> dict[str, np.ndarray]:
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        grads["input"] = np.zeros(x_shape)
        return grads


class RNNReference(Reference):
    """SimpleRNN (Elman): ``h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)``, φ tanh or relu."""

    gates = 1

    def __init__(self, params, nonlinearity: str = "tanh") -> None:
        super().__init__(params)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be tanh or relu, got {nonlinearity!r}.")
        self.nonlinearity = nonlinearity

    def forward(self, x, state=None):
        x = np.asarray(x, dtype=np.float64)
        h = np.zeros((x.shape[0], self.hidden_size)) if state is None else state
        self._x, self._hs, self._caches = x, [h], []
        for t in range(x.shape[1]):
            h, a = cells.rnn_forward(x[:, t], h, self.params, self.nonlinearity)
            self._hs.append(h)
            self._caches.append((h, a))
        return np.stack(self._hs[1:], axis=1), h

    def backward(self, dy, dstate=None):
        x, p = self._x, self.params
        grads = self._zero_grads(x.shape)
        dh_next = np.zeros_like(self._hs[0]) if dstate is None else dstate
        self.dh_ = np.zeros_like(dy)
        for t in reversed(range(x.shape[1])):
            dh = dy[:, t] + dh_next  # ∂L/∂h_t: its own output and everything later
            self.dh_[:, t] = dh
            da = cells.rnn_backward(dh, self._caches[t], p, self.nonlinearity)
            self._accumulate(grads, da, da, x[:, t], self._hs[t])
            grads["input"][:, t] = da @ p["weight_ih_l0"]
            dh_next = da @ p["weight_hh_l0"]
        return grads


class LSTMReference(Reference):
    """LSTM with PyTorch's gate order i, f, g, o; the state is the pair (h, c)."""

    gates = 4

    def forward(self, x, state=None):
        x = np.asarray(x, dtype=np.float64)
        zeros = np.zeros((x.shape[0], self.hidden_size))
        h, c = (zeros, zeros) if state is None else state
        self._x, self._hs, self._caches = x, [h], []
        for t in range(x.shape[1]):
            h, c, cache = cells.lstm_forward(x[:, t], h, c, self.params)
            self._hs.append(h)
            self._caches.append(cache)
        return np.stack(self._hs[1:], axis=1), (h, c)

    def backward(self, dy, dstate=None):
        x, p = self._x, self.params
        grads = self._zero_grads(x.shape)
        zeros = np.zeros_like(self._hs[0])
        dh_next, dc_next = (zeros, zeros) if dstate is None else dstate
        self.dh_ = np.zeros_like(dy)
        for t in reversed(range(x.shape[1])):
            dh = dy[:, t] + dh_next
            self.dh_[:, t] = dh
            da, dc_next = cells.lstm_backward(dh, dc_next, self._caches[t])
            self._accumulate(grads, da, da, x[:, t], self._hs[t])
            grads["input"][:, t] = da @ p["weight_ih_l0"]
            dh_next = da @ p["weight_hh_l0"]
        return grads

    def gates_of(self) -> dict[str, np.ndarray]:
        """The last forward pass's gates and cell state, each (B, T, H)."""
        keys = {"input": "i", "forget": "f", "candidate": "g", "output": "o"}
        out = {name: np.stack([c[k] for c in self._caches], axis=1) for name, k in keys.items()}
        out["cell"] = np.stack(
            [c["f"] * c["c_prev"] + c["i"] * c["g"] for c in self._caches], axis=1
        )
        return out


class GRUReference(Reference):
    """GRU as PyTorch computes it (reset applied after the recurrent product), gates r, z, n."""

    gates = 3

    def forward(self, x, state=None):
        x = np.asarray(x, dtype=np.float64)
        h = np.zeros((x.shape[0], self.hidden_size)) if state is None else state
        self._x, self._hs, self._caches = x, [h], []
        for t in range(x.shape[1]):
            h, cache = cells.gru_forward(x[:, t], h, self.params)
            self._hs.append(h)
            self._caches.append(cache)
        return np.stack(self._hs[1:], axis=1), h

    def backward(self, dy, dstate=None):
        x, p = self._x, self.params
        grads = self._zero_grads(x.shape)
        dh_next = np.zeros_like(self._hs[0]) if dstate is None else dstate
        self.dh_ = np.zeros_like(dy)
        for t in reversed(range(x.shape[1])):
            dh = dy[:, t] + dh_next
            self.dh_[:, t] = dh
            d_in, d_hid, dh_direct = cells.gru_backward(dh, self._caches[t])
            self._accumulate(grads, d_in, d_hid, x[:, t], self._hs[t])
            grads["input"][:, t] = d_in @ p["weight_ih_l0"]
            dh_next = dh_direct + d_hid @ p["weight_hh_l0"]
        return grads

    def gates_of(self) -> dict[str, np.ndarray]:
        """The last forward pass's reset and update gates and candidate, each (B, T, H)."""
        keys = {"reset": "r", "update": "z", "candidate": "n"}
        return {name: np.stack([c[k] for c in self._caches], axis=1) for name, k in keys.items()}


def from_torch(layer) -> Reference:
    """A reference with the weights of a one-layer, one-direction, batch-first ``nn.RNN``,
    ``nn.LSTM`` or ``nn.GRU``."""
    from torch import nn

    if not isinstance(layer, nn.RNNBase):
        raise TypeError(f"from_torch takes nn.RNN, nn.LSTM or nn.GRU, got {type(layer).__name__}.")
    if layer.num_layers != 1 or layer.bidirectional or not layer.batch_first:
        raise ValueError("from_torch takes a one-layer, one-direction, batch_first layer.")
    if not layer.bias:
        raise ValueError("from_torch needs a layer with biases (bias=True).")
    params = {k: getattr(layer, k).detach().cpu().double().numpy() for k in NAMES}
    if isinstance(layer, nn.LSTM):
        if layer.proj_size:
            raise ValueError("from_torch does not take an LSTM with proj_size.")
        return LSTMReference(params)
    if isinstance(layer, nn.GRU):
        return GRUReference(params)
    return RNNReference(params, nonlinearity=layer.nonlinearity)
