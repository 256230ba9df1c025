"""rnncast's optimizers repeat torch.optim's arithmetic exactly, step by step."""

import pytest
import torch

from rnncast.training.optimizers import Optimizer


def _reference(name: str, params, lr: float, momentum: float):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=momentum > 0)


@pytest.mark.parametrize(
    ("name", "momentum"), [("adam", 0.0), ("rmsprop", 0.0), ("sgd", 0.9), ("sgd", 0.0)]
)
def test_every_step_equals_torch_optim(name, momentum):
    gen = torch.Generator().manual_seed(0)
    ours = torch.randn(257, generator=gen, requires_grad=True)
    theirs = ours.detach().clone().requires_grad_(True)
    mine = Optimizer(name, [ours], lr=3e-3, momentum=momentum)
    reference = _reference(name, [theirs], 3e-3, momentum)
    for _ in range(25):
        grad = torch.randn(257, generator=gen)
        ours.grad, theirs.grad = grad.clone(), grad.clone()
        mine.step()
        reference.step()
        assert torch.equal(ours, theirs)
    state = mine.state_dict()["state"].get(0, {})
    for key, value in reference.state_dict()["state"].get(0, {}).items():
        if value is not None:  # SGD without momentum keeps a None buffer
            assert torch.equal(state[key], value), key


def test_state_round_trips():
    p = torch.zeros(4, requires_grad=True)
    opt = Optimizer("adam", [p], lr=0.1)
    p.grad = torch.ones(4)
    opt.step()
    again = Optimizer("adam", [q := p.detach().clone().requires_grad_(True)], lr=0.1)
    again.load_state_dict(opt.state_dict())
    p.grad, q.grad = torch.full((4,), 0.5), torch.full((4,), 0.5)
    opt.step()
    again.step()
    assert torch.equal(p, q)
