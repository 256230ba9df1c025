"""Adam, RMSprop and SGD updates, PyTorch's formulas over a few large tensors.

Why not ``torch.optim``: its first use imports ``torch._dynamo``, which costs about a second
and 70 MB in every process that trains (measured with ``python -X importtime`` and the peak
RSS of ``benchmarks/speed.py``), more than a whole small fit. Training here updates one flat
buffer (see :func:`rnncast.training.loop.one_buffer`), so an optimizer is a handful of in-place
tensor operations. Each update repeats ``torch.optim``'s own arithmetic with its default
hyperparameters, operation for operation; ``tests/test_optimizers.py`` holds every one equal to
``torch.optim`` step by step, and the state dicts use its names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8
RMSPROP_ALPHA, RMSPROP_EPS = 0.99, 1e-8


class Optimizer:
    """Updates ``params`` in place from their ``.grad``.

    Args:
        name: ``adam``, ``rmsprop`` or ``sgd`` (Nesterov momentum when ``momentum`` > 0).
        params: The tensors to update (leaf tensors with gradients).
        lr: Learning rate.
        momentum: SGD's momentum; ignored by the others.

    >>> p = torch.zeros(3, requires_grad=True)
    >>> p.grad = torch.ones(3)
    >>> opt = Optimizer("sgd", [p], lr=0.5)
    >>> opt.step(); p.tolist()
    [-0.5, -0.5, -0.5]
    """

    def __init__(self, name: str, params: Sequence[torch.Tensor], lr: float, momentum=0.0):
        self.name, self.params, self.lr, self.momentum = name, list(params), lr, momentum
        self.state: dict[int, dict] = {}

    def zero_grad(self) -> None:
        """Zero the gradients in place (views into them stay valid)."""
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        update = {"adam": self._adam, "rmsprop": self._rmsprop, "sgd": self._sgd}[self.name]
        for i, p in enumerate(self.params):
            if p.grad is not None:
                update(p, p.grad, self.state.setdefault(i, {}))

    def _adam(self, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        if not state:
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        (beta1, beta2), m, v = ADAM_BETAS, state["exp_avg"], state["exp_avg_sq"]
        state["step"] += 1
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = state["step"].item()
        step_size = self.lr / (1 - beta1**step)
        denom = (v.sqrt() / math.sqrt(1 - beta2**step)).add_(ADAM_EPS)
        p.addcdiv_(m, denom, value=-step_size)

    def _rmsprop(self, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        if not state:
            state["step"] = torch.tensor(0.0)
            state["square_avg"] = torch.zeros_like(p)
        state["step"] += 1
        square_avg = state["square_avg"]
        square_avg.mul_(RMSPROP_ALPHA).addcmul_(grad, grad, value=1 - RMSPROP_ALPHA)
        p.addcdiv_(grad, square_avg.sqrt().add_(RMSPROP_EPS), value=-self.lr)

    def _sgd(self, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        if self.momentum > 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.clone().detach()
            else:
                buf.mul_(self.momentum).add_(grad)
            grad = grad.add(buf, alpha=self.momentum)  # Nesterov
        p.add_(grad, alpha=-self.lr)

    def state_dict(self) -> dict:
        """``{"state": {param index: {name: tensor}}}``, named as ``torch.optim`` names them."""
        return {"state": {i: dict(s) for i, s in self.state.items() if s}}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a state dict; its tensors are copied (to each parameter's device and type,
        but for the step count), never shared."""
        self.state = {}
        for i, entries in state_dict["state"].items():
            p = self.params[i]
            self.state[i] = {k: _copied(v, p) for k, v in entries.items()}


def _copied(value, param: torch.Tensor):
    if not isinstance(value, torch.Tensor):
        return value
    if value.dim() == 0:  # the step count stays a CPU scalar, as torch.optim keeps it
        return value.detach().clone()
    return value.detach().to(param.device, param.dtype, copy=True)
