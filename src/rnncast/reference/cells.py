"""One time step of each cell, forward and backward, one function per equation group.

Shapes: x (B, F) input at step t, h (B, H) hidden state, c (B, H) LSTM cell state;
weights as PyTorch stores them: W_ih (G·H, F), W_hh (G·H, H), biases (G·H,), with G gates
(1 for SimpleRNN, 4 for LSTM in the order i, f, g, o, 3 for GRU in the order r, z, n).
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1 / (1 + e^(−a)), computed without overflow for large |a|."""
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1 / (1 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1 + e)
    return out


# -- SimpleRNN: h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) ------------------------------
def rnn_forward(x, h, p, nonlinearity: str):
    """Returns h_t and the pre-activation a_t kept for the backward pass."""
    a = x @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
    return (np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)), a


def rnn_backward(dh, cache, p, nonlinearity: str):
    """From ∂L/∂h_t to ∂L/∂a_t: φ'(a) = 1 − tanh²(a) for tanh, 1[a > 0] for relu."""
    h_new, a = cache
    return dh * ((1 - h_new**2) if nonlinearity == "tanh" else (a > 0))


# -- LSTM ------------------------------------------------------------------------------------
def lstm_forward(x, h, c, p):
    """i = σ(·), f = σ(·), g = tanh(·), o = σ(·) from W_ih x + b_ih + W_hh h + b_hh;
    c_t = f ⊙ c_{t−1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)."""
    a = x @ p["weight_ih_l0"].T + p["bias_ih_l0"] + h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    return o * tanh_c, c_new, {"i": i, "f": f, "g": g, "o": o, "c_prev": c, "tanh_c": tanh_c}


def lstm_backward(dh, dc, k):
    """From ∂L/∂h_t and ∂L/∂c_t (from step t+1) to the gates' pre-activations and ∂L/∂c_{t−1}.

    dc += dh ⊙ o ⊙ (1 − tanh²c);  do = dh ⊙ tanh c;  di = dc ⊙ g;  dg = dc ⊙ i;
    df = dc ⊙ c_{t−1};  dc_{t−1} = dc ⊙ f; then through σ' = σ(1 − σ) and tanh' = 1 − tanh².
    """
    dc = dc + dh * k["o"] * (1 - k["tanh_c"] ** 2)
    d_o = dh * k["tanh_c"]
    d_i, d_g, d_f = dc * k["g"], dc * k["i"], dc * k["c_prev"]
    da = np.concatenate(
        [
            d_i * k["i"] * (1 - k["i"]),
            d_f * k["f"] * (1 - k["f"]),
            d_g * (1 - k["g"] ** 2),
            d_o * k["o"] * (1 - k["o"]),
        ],
        axis=1,
    )
    return da, dc * k["f"]


# -- GRU, as PyTorch computes it -------------------------------------------------------------
def gru_forward(x, h, p):
    """r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz);
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn));  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.

    The textbook candidate (Cho et al., 2014) resets the state before the product,
    ``tanh(W x + U (r ⊙ h) + b)``; PyTorch (and cuDNN, and Keras' ``reset_after=True``)
    resets after it, ``r ⊙ (U h + b_hn)``. This reference follows PyTorch.
    """
    gi = x @ p["weight_ih_l0"].T + p["bias_ih_l0"]  # (B, 3H): x-parts of r, z, n
    gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]  # (B, 3H): h-parts of r, z, n
    xr, xz, xn = np.split(gi, 3, axis=1)
    hr, hz, hn = np.split(gh, 3, axis=1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h, {"r": r, "z": z, "n": n, "hn": hn, "h_prev": h}


def gru_backward(dh, k):
    """From ∂L/∂h_t to the input-side and hidden-side pre-activation gradients, and the
    direct part of ∂L/∂h_{t−1} (through z ⊙ h_{t−1})."""
    r, z, n, hn = k["r"], k["z"], k["n"], k["hn"]
    dn = dh * (1 - z)
    dz = dh * (k["h_prev"] - n)
    da_n = dn * (1 - n**2)
    da_r = da_n * hn * r * (1 - r)
    da_z = dz * z * (1 - z)
    d_input = np.concatenate([da_r, da_z, da_n], axis=1)  # ∂L/∂(W_i· x + b_i·)
    d_hidden = np.concatenate([da_r, da_z, da_n * r], axis=1)  # ∂L/∂(W_h· h + b_h·)
    return d_input, d_hidden, dh * z
