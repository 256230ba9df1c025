"""Recurrent layers of every cell kind, one or both directions, with PyTorch's fused kernels
where they apply and a step-by-step loop over the same parameters where they do not.

PyTorch's fused LSTM and GRU only know ``tanh``; for another activation the same parameters
run through a loop written against the gate equations (gate order as PyTorch: LSTM i, f, g, o;
GRU r, z, n). LSTM's ``(h, c)`` state is handled here and nowhere else.
"""

from __future__ import annotations

import torch
from torch import nn

from rnncast.runtime import cores

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "linear": lambda t: t,
}


class Dropout(nn.Dropout):
    """``nn.Dropout`` that, inside a shard of a batch (see :mod:`rnncast.runtime.cores`), draws its
    mask from that shard's own generator, so shards running side by side stay reproducible.

    >>> Dropout(0.5).eval()(torch.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        generator = cores.generator()
        if generator is None or not self.training or self.p == 0:
            return super().forward(x)
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=generator)
        return x * keep.div_(1 - self.p)


class RecurrentLayer(nn.Module):
    """A single-layer RNN, LSTM or GRU over a whole sequence, batch first.

    Args:
        cell: ``rnn``, ``lstm`` or ``gru``.
        input_size: Features per step (F).
        hidden_size: Units of the layer (per direction).
        activation: The candidate's (and LSTM cell output's) activation, as Keras'.
        bidirectional: Also run the sequence backwards.
        merge: ``concat`` (2 x hidden outputs) or ``sum`` the two directions.
        orthogonal: Orthogonal recurrent weights, one square block per gate.
        forget_bias: LSTM forget-gate bias (1 is the common choice; PyTorch's default is 0 on
            average). PyTorch keeps two bias vectors; the second one's forget part is set to 0.
        dilation: Each step's state comes from ``dilation`` steps back (a dilated recurrent
            layer, as in Smyl's ES-RNN): the sequence runs as ``dilation`` interleaved
            subsequences through the same cell, the first steps zero-padded so that the last
            step ends every subsequence. 1 is the ordinary layer.

    Shape:
        input (B, L, F) -> output (B, L, hidden_size), or (B, L, 2 * hidden_size) when
        bidirectional and concatenated.

    >>> layer = RecurrentLayer("gru", input_size=3, hidden_size=5, bidirectional=True)
    >>> layer(torch.zeros(2, 7, 3)).shape
    torch.Size([2, 7, 10])
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        activation: str = "tanh",
        bidirectional: bool = False,
        merge: str = "concat",
        orthogonal: bool = False,
        forget_bias: float = 0.0,
        dilation: int = 1,
    ) -> None:
        super().__init__()
        self.dilation = dilation
        if cell not in CELLS:
            raise ValueError(f"`cell` must be one of {', '.join(CELLS)}; got {cell!r}.")
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"`activation` must be one of {', '.join(ACTIVATIONS)}; got {activation!r}."
            )
        if cell == "rnn" and activation not in ("tanh", "relu"):
            raise ValueError(f"A SimpleRNN's activation must be tanh or relu; got {activation!r}.")
        self.cell, self.activation, self.merge = cell, activation, merge
        kwargs = {"nonlinearity": activation} if cell == "rnn" else {}
        self.rnn = CELLS[cell](
            input_size, hidden_size, batch_first=True, bidirectional=bidirectional, **kwargs
        )
        self._initialise(orthogonal, forget_bias)

    @property
    def hidden_size(self) -> int:
        return self.rnn.hidden_size

    @property
    def output_size(self) -> int:
        return self.hidden_size * (2 if self.rnn.bidirectional and self.merge == "concat" else 1)

    def _initialise(self, orthogonal: bool, forget_bias: float) -> None:
        h = self.hidden_size
        for suffix in self._suffixes():
            if orthogonal:
                weight = getattr(self.rnn, f"weight_hh_l0{suffix}")
                for gate in range(GATES[self.cell]):
                    nn.init.orthogonal_(weight.data[gate * h : (gate + 1) * h])
            if self.cell == "lstm" and forget_bias:
                getattr(self.rnn, f"bias_ih_l0{suffix}").data[h : 2 * h] = forget_bias
                getattr(self.rnn, f"bias_hh_l0{suffix}").data[h : 2 * h] = 0.0

    def _suffixes(self) -> list[str]:
        return ["", "_reverse"] if self.rnn.bidirectional else [""]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dilation == 1:
            return self.forward_with_state(x)[0]
        d, (batch, steps, width) = self.dilation, x.shape
        pad = -steps % d
        x = torch.nn.functional.pad(x, (0, 0, pad, 0))  # (B, L + pad, F), zeros first
        n = (steps + pad) // d
        # step t * d + j is step t of subsequence j: (B, n, d, F) -> (B * d, n, F)
        parts = x.reshape(batch, n, d, width).transpose(1, 2).reshape(batch * d, n, width)
        out = self.forward_with_state(parts)[0]  # (B * d, n, H)
        out = out.reshape(batch, d, n, -1).transpose(1, 2).reshape(batch, n * d, -1)
        return out[:, pad:]  # (B, L, H)

    def forward_with_state(self, x: torch.Tensor, state=None, loop: bool = False):
        """Run the sequence from ``state`` (PyTorch's layout: h, or (h, c) for LSTM, each
        (D, B, hidden)); returns the outputs and the final state."""
        if not loop and (self.cell == "rnn" or self.activation == "tanh"):
            out, state = self.rnn(x, state)  # (B, L, F) -> (B, L, D * hidden)
        else:
            out, state = self._loop_both(x, state)
        if self.rnn.bidirectional and self.merge == "sum":
            forward, backward = out.chunk(2, dim=-1)  # (B, L, 2 * hidden) -> 2 x (B, L, hidden)
            out = forward + backward
        return out, state

    def forward_loop(self, x: torch.Tensor) -> torch.Tensor:
        """Step-by-step evaluation with the layer's activation; same result as the fused op."""
        return self.forward_with_state(x, loop=True)[0]

    def _loop_both(self, x: torch.Tensor, state):
        d, batch = (2 if self.rnn.bidirectional else 1), x.shape[0]
        if state is None:
            zeros = x.new_zeros(d, batch, self.hidden_size)
            state = (zeros, zeros) if self.cell == "lstm" else zeros
        h0, c0 = state if self.cell == "lstm" else (state, state)
        out, h, c = self._loop(x, "", h0[0], c0[0])
        outs, hs, cs = [out], [h], [c]
        if self.rnn.bidirectional:
            out, h, c = self._loop(x.flip(1), "_reverse", h0[1], c0[1])
            outs.append(out.flip(1))
            hs.append(h)
            cs.append(c)
        h_n, c_n = torch.stack(hs), torch.stack(cs)  # D x (B, hidden) -> (D, B, hidden)
        # D x (B, L, hidden) -> (B, L, D * hidden)
        return torch.cat(outs, dim=-1), ((h_n, c_n) if self.cell == "lstm" else h_n)

    def _loop(self, x: torch.Tensor, suffix: str, h: torch.Tensor, c: torch.Tensor):
        act = ACTIVATIONS[self.activation]
        w_ih, w_hh = (getattr(self.rnn, f"weight_{k}_l0{suffix}") for k in ("ih", "hh"))
        b_ih, b_hh = (getattr(self.rnn, f"bias_{k}_l0{suffix}") for k in ("ih", "hh"))
        steps = x.shape[1]
        x_proj = x @ w_ih.T + b_ih  # (B, L, F) -> (B, L, G * hidden), all steps in one product
        outputs = []
        for t in range(steps):
            h_proj = h @ w_hh.T + b_hh  # (B, G * hidden)
            if self.cell == "lstm":
                i, f, g, o = (x_proj[:, t] + h_proj).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * act(g)
                h = torch.sigmoid(o) * act(c)
            elif self.cell == "gru":  # the reset gate scales the recurrent part, as PyTorch
                xr, xz, xn = x_proj[:, t].chunk(3, dim=1)
                hr, hz, hn = h_proj.chunk(3, dim=1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                h = (1 - z) * act(xn + r * hn) + z * h
            else:
                h = act(x_proj[:, t] + h_proj)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h, c  # L x (B, hidden) -> (B, L, hidden)


def recurrent_depth(net: nn.Module) -> int:
    """How many recurrent layers ``net`` stacks (one or both directions alike).

    >>> recurrent_depth(nn.Sequential(RecurrentLayer("lstm", 1, 4), RecurrentLayer("gru", 4, 4)))
    2
    """
    return sum(isinstance(m, RecurrentLayer) for m in net.modules())


def with_columns(x: torch.Tensor, columns: list[int], values: torch.Tensor) -> torch.Tensor:
    """``x`` (..., F) with its ``columns`` replaced by ``values`` (..., C), exactly, in
    operations that export to ONNX (an indexed assignment does not)."""
    index = torch.tensor(list(columns), device=x.device)
    place = nn.functional.one_hot(index, x.shape[-1]).to(x.dtype)  # (C, F)
    return torch.where(place.sum(0).bool(), values @ place, x)
