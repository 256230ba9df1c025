"""An exponential-smoothing front end learned with the network behind it, after Smyl's ES-RNN
(winner of the M4 competition): each window is divided by its Holt-Winters level and
seasonal factors, the network forecasts what is left (as logs), and the forecast is multiplied
back by the last level and the factors of the steps ahead.

Each series has its own smoothing coefficients for the level and for the seasonality (two
numbers per series and target, through a sigmoid), learned by gradient descent together with
the shared network. The recursion runs over the window's own rows, so it reads nothing the
window does not hold (no leak): the seasonal factors start from the window's first season (each
value over that season's mean), the level from the first value deseasonalised, and then, row by
row (alpha: level coefficient, gamma: seasonal coefficient, m: season, y: the value)::

    level_t    = alpha * y_t / s_t + (1 - alpha) * level_{t-1}
    s_{t + m}  = gamma * y_t / level_t + (1 - gamma) * s_t

Within the first season every value over its factor is that season's mean, so the smoothing
starts to tell in the second: a window should hold two seasons or more.

Multiplicative, so the targets must be positive (as ES-RNN's data were). With a season of 1 it
is simple exponential smoothing of the level.

>>> from rnncast.nn.networks import build_network
>>> core = build_network("gru(4) > dense", input_size=1, lookback=8, n_steps=2)
>>> es = Smoothing(core, targets=[0], n_series=3, season=4, steps=(1, 2))
>>> es(torch.rand(5, 8, 1) + 1.0, torch.tensor([0, 1, 2, 0, 1])).shape
torch.Size([5, 2, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from rnncast.nn.layers import with_columns


class Smoothing(nn.Module):
    """Per-series Holt-Winters normalisation around a network (see the module).

    Args:
        net: The network behind it, fed the window with its targets as log ratios to their
            level and seasonal factor; it emits log ratios to the last level.
        targets: Positions of the targets among the inputs (C of them).
        n_series: Series, each with its own coefficients (the series number comes beside each
            window; without it every window is series 0).
        season: Season length m in rows (1: level only); a window needs at least m rows
            (two seasons for the coefficients to matter).
        steps: The leads (1 = the next row) of the network's outputs, for the seasonal
            factors put back.
    """

    def __init__(
        self,
        net: nn.Module,
        targets: Sequence[int],
        n_series: int,
        season: int,
        steps: Sequence[int],
    ) -> None:
        super().__init__()
        self.net, self.targets, self.season = net, list(targets), season
        self.steps = tuple(steps)
        shape = (n_series, len(self.targets))
        self.level_logit = nn.Parameter(torch.zeros(shape))  # sigmoid(0) = 0.5 at the start
        if season > 1:
            self.season_logit = nn.Parameter(torch.zeros(shape))

    @property
    def spec(self) -> str:
        seasonal = f"season {self.season}" if self.season > 1 else "level only"
        return f"{self.net.spec} (after per-series exponential smoothing, {seasonal})"

    def components(
        self, t: torch.Tensor, series: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The last level (B, C) and the seasonal factors (B, L + m, C) of rows 0 .. L + m - 1
        of the windows' positive targets ``t`` (B, L, C) (all 1 with a season of 1)."""
        m, n = self.season, t.shape[1]
        alpha = torch.sigmoid(self.level_logit[series])  # (B, C)
        if m < 2:
            factors = [torch.ones_like(t[:, 0])] * (n + 1)
        else:
            first = t[:, :m]
            factors = list((first / first.mean(dim=1, keepdim=True)).unbind(1))  # m x (B, C)
            gamma = torch.sigmoid(self.season_logit[series])
        level = t[:, 0] / factors[0]
        for i in range(n):
            y = t[:, i]
            level = alpha * y / factors[i] + (1 - alpha) * level if i else level
            if m >= 2:  # the factor of row i + m
                factors.append(gamma * y / level + (1 - gamma) * factors[i])
        return level, torch.stack(factors, dim=1)

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        if series is None:
            series = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        floor = torch.finfo(x.dtype).tiny
        t = x[..., self.targets].clamp_min(floor)  # (B, L, C)
        n = t.shape[1]
        level, factors = self.components(t, series)
        base = level[:, None]  # (B, 1, C)
        ratios = torch.log(t / (factors[:, :n] * base))
        out = self.net(with_columns(x, self.targets, ratios), series)  # log ratios
        m = max(self.season, 1)
        ahead = [n + (step - 1) % m for step in self.steps]  # rows whose factors repeat
        return torch.exp(out.clamp(-30.0, 30.0)) * base * factors[:, ahead]
