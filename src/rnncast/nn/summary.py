"""A Keras-style table of layers, output shapes and parameter counts.

>>> from rnncast.nn.networks import build_network
>>> net = build_network("lstm(4) > dense", 1, lookback=10)
>>> print(summarize(net, (1, 10, 1)))  # doctest: +NORMALIZE_WHITESPACE
Layer                Output shape    Params
-------------------------------------------
blocks.0 (LSTM)      (B, 10, 4)         112
blocks.1 (LastStep)  (B, 4)               0
blocks.2 (Linear)    (B, 1)               5
-------------------------------------------
Total params: 117 (trainable: 117)
"""

from __future__ import annotations

import torch
from torch import nn

from rnncast.nn.blocks import ConvLSTM, EncoderDecoder, SubsequenceConv
from rnncast.nn.layers import RecurrentLayer

_WHOLE = (RecurrentLayer, SubsequenceConv, ConvLSTM, EncoderDecoder)


def describe(module: nn.Module) -> str:
    """A short name of a layer for the table."""
    if isinstance(module, RecurrentLayer):
        name = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[module.cell]
        if module.rnn.bidirectional:
            return f"Bidirectional {name}, {module.merge}"
        return name
    if isinstance(module, SubsequenceConv):
        return "CNN over sub-sequences"
    if isinstance(module, EncoderDecoder):
        return f"Encoder-decoder {module.encoder.cell.upper()}"
    return type(module).__name__


def summarize(net: nn.Module, input_shape: tuple[int, ...], device=None) -> str:
    """Run one forward pass with hooks and return the table as text."""
    rows: list[tuple[str, str, int]] = []
    hooks = []
    for name, module in _reported(net):
        params = sum(p.numel() for p in module.parameters())
        label = f"{name} ({describe(module)})"

        def hook(_m, _inp, out, label=label, params=params):
            shape = ", ".join(str(s) for s in tuple(out.shape)[1:])
            rows.append((label, f"(B, {shape})", params))

        hooks.append(module.register_forward_hook(hook))
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(torch.zeros(input_shape, device=device))
    finally:
        for h in hooks:
            h.remove()
        net.train(was_training)
    total = sum(p.numel() for p in net.parameters())
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    w_name = max(len("Layer"), *(len(r[0]) for r in rows)) + 2
    w_shape = max(len("Output shape"), *(len(r[1]) for r in rows)) + 2
    width = w_name + w_shape + 8
    lines = [f"{'Layer':<{w_name}}{'Output shape':<{w_shape}}{'Params':>8}", "-" * width]
    lines += [f"{n:<{w_name}}{s:<{w_shape}}{p:>8,}" for n, s, p in rows]
    lines += ["-" * width, f"Total params: {total:,} (trainable: {trainable:,})"]
    return "\n".join(lines)


def _reported(net: nn.Module):
    """Leaf modules, and composite layers (recurrent, CNN, ConvLSTM, seq2seq) reported whole."""
    inside: set[int] = set()
    for name, module in net.named_modules():
        if id(module) in inside or not name:
            continue
        if isinstance(module, _WHOLE):
            inside.update(id(m) for m in module.modules())
            yield name, module
        elif not list(module.children()):
            yield name, module
