"""A Keras-style table of layers, output shapes and parameter counts.

>>> from rnncast.nn.networks import build_network
>>> net = build_network("lstm", 1, (4,), 1, 1)
>>> print(summarize(net, (1, 10, 1)))  # doctest: +NORMALIZE_WHITESPACE
Layer                     Output shape        Params
----------------------------------------------------
recurrent.0 (LSTM)        (B, 10, 4)              112
dropouts.0 (Dropout)      (B, 10, 4)                0
head (Linear)             (B, 1)                    5
----------------------------------------------------
Total params: 117 (trainable: 117)
"""

from __future__ import annotations

import torch
from torch import nn

from rnncast.nn.layers import RecurrentLayer


def summarize(net: nn.Module, input_shape: tuple[int, ...], device=None) -> str:
    """Run one forward pass with hooks and return the table as text."""
    rows: list[tuple[str, str, str, int]] = []
    hooks = []
    for name, module in _reported(net):
        kind = module.cell.upper() if isinstance(module, RecurrentLayer) else type(module).__name__
        params = sum(p.numel() for p in module.parameters())

        def hook(_m, _inp, out, name=name, kind=kind, params=params):
            shape = ", ".join(str(s) for s in tuple(out.shape)[1:])
            rows.append((name, kind, f"(B, {shape})", params))

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
    width = 52
    lines = [f"{'Layer':<26}{'Output shape':<18}{'Params':>8}", "-" * width]
    lines += [f"{f'{n} ({k})':<26}{s:<18}{p:>8,}" for n, k, s, p in rows]
    lines += ["-" * width, f"Total params: {total:,} (trainable: {trainable:,})"]
    return "\n".join(lines)


def _reported(net: nn.Module):
    """Leaf modules, with a recurrent layer reported whole; containers skipped."""
    inside_recurrent = set()
    for name, module in net.named_modules():
        if isinstance(module, RecurrentLayer):
            inside_recurrent.update(id(m) for m in module.modules() if m is not module)
            yield name, module
        elif not list(module.children()) and id(module) not in inside_recurrent and name:
            yield name, module
