"""Building blocks beyond a plain recurrent layer: the CNN front-end of a CNN-LSTM, a
convolutional LSTM, and an encoder-decoder. Legend: B batch, L lookback, F input features,
S forecast steps, K sub-sequences of W = L / K steps each.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from rnncast.errors import ConfigError
from rnncast.nn.layers import ACTIVATIONS, RecurrentLayer


def _split(lookback: int, sub: int, kind: str) -> int:
    if lookback % sub:
        raise ConfigError(
            f"{kind}(sub={sub}) splits the window into {sub} sub-sequences, but --lookback "
            f"{lookback} is not a multiple of {sub}; choose a lookback divisible by it."
        )
    return lookback // sub


class SubsequenceConv(nn.Module):
    """The CNN part of a CNN-LSTM: the window is cut into K sub-sequences, and the same 1-D
    convolution ('valid', as Keras) and max-pooling read each of them.

    Shape:
        (B, L, F) -> (B, K, filters * P), P the pooled length of one sub-sequence.

    >>> conv = SubsequenceConv(2, lookback=8, filters=4, kernel=2, sub=2, pool=2)
    >>> conv(torch.zeros(3, 8, 2)).shape
    torch.Size([3, 2, 4])
    """

    def __init__(self, input_size, lookback, filters, kernel, sub, pool, activation="relu"):
        super().__init__()
        self.sub, self.width = sub, _split(lookback, sub, "cnn")
        pooled = (self.width - kernel + 1) // pool
        if pooled < 1:
            raise ConfigError(
                f"cnn(kernel={kernel}, pool={pool}) does not fit sub-sequences of {self.width} "
                "steps; use a smaller kernel or pool, fewer sub-sequences or a longer lookback."
            )
        self.conv = nn.Conv1d(input_size, filters, kernel)
        self.act = ACTIVATIONS[activation]
        self.pool = nn.MaxPool1d(pool)
        self.output_size = filters * pooled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, features = x.shape
        x = x.reshape(batch * self.sub, self.width, features).transpose(1, 2)  # (B*K, F, W)
        y = self.pool(self.act(self.conv(x)))  # (B*K, F, W) -> (B*K, filters, P)
        return y.reshape(batch, self.sub, -1)  # (B*K, filters, P) -> (B, K, filters * P)


class ConvLSTM(nn.Module):
    """A convolutional LSTM over K sub-sequences, each a 1-D 'image' of W steps and F channels.

    The gates are convolutions, not products (Shi et al., 2015), with '*' a 1-D convolution
    ('same' padding, so every state keeps W positions) and ∘ the element-wise product:

        i_t = σ(W_xi * x_t + W_hi * h_{t-1} + b_i)      input gate
        f_t = σ(W_xf * x_t + W_hf * h_{t-1} + b_f)      forget gate
        g_t = act(W_xg * x_t + W_hg * h_{t-1} + b_g)    candidate
        o_t = σ(W_xo * x_t + W_ho * h_{t-1} + b_o)      output gate
        c_t = f_t ∘ c_{t-1} + i_t ∘ g_t
        h_t = o_t ∘ act(c_t)

    Shape:
        (B, L, F) -> (B, filters * W), the last hidden state flattened.

    >>> ConvLSTM(1, lookback=6, filters=4, kernel=2, sub=3)(torch.zeros(2, 6, 1)).shape
    torch.Size([2, 8])
    """

    def __init__(self, input_size, lookback, filters, kernel, sub, activation="tanh"):
        super().__init__()
        self.sub, self.width, self.filters = sub, _split(lookback, sub, "convlstm"), filters
        self.input_conv = nn.Conv1d(input_size, 4 * filters, kernel)
        self.hidden_conv = nn.Conv1d(filters, 4 * filters, kernel, bias=False)
        self.padding = ((kernel - 1) // 2, kernel // 2)  # 'same', also for even kernels
        self.act = ACTIVATIONS[activation]
        self.output_size = filters * self.width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, features = x.shape
        x = x.reshape(batch, self.sub, self.width, features).transpose(2, 3)  # (B, K, F, W)
        h = x.new_zeros(batch, self.filters, self.width)
        c = torch.zeros_like(h)
        for t in range(self.sub):
            x_t, h_pad = F.pad(x[:, t], self.padding), F.pad(h, self.padding)
            gates = self.input_conv(x_t) + self.hidden_conv(h_pad)  # (B, 4 * filters, W)
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * self.act(g)
            h = torch.sigmoid(o) * self.act(c)
        return h.flatten(1)  # (B, filters, W) -> (B, filters * W)


class EncoderDecoder(nn.Module):
    """Sequence to sequence: an encoder reads the window; its last output, repeated once per
    forecast step, feeds a decoder that starts from the encoder's final state.

    Shape:
        (B, L, F) -> (B, S, units), one decoder state per forecast step.

    >>> EncoderDecoder("gru", 2, units=5, n_steps=3)(torch.zeros(4, 10, 2)).shape
    torch.Size([4, 3, 5])
    """

    def __init__(self, cell, input_size, units, n_steps, activation="tanh"):
        super().__init__()
        self.n_steps = n_steps
        self.encoder = RecurrentLayer(cell, input_size, units, activation)
        self.decoder = RecurrentLayer(cell, units, units, activation)
        self.output_size = units

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        encoded, state = self.encoder.forward_with_state(x)  # (B, L, units), final state
        context = encoded[:, -1:].expand(-1, self.n_steps, -1)  # (B, 1, units) -> (B, S, units)
        decoded, _ = self.decoder.forward_with_state(context.contiguous(), state)
        return decoded  # (B, S, units)
