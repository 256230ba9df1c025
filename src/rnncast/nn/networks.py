"""The forecasting network built from a model spec. Legend: B batch, L lookback, F input
features, S forecast steps, C targets.

Every network maps ``x`` of shape (B, L, F) to ``y`` of shape (B, S, C) and holds nothing but
layers: no loss, optimizer, scaler or DataFrame.

>>> net = build_network("lstm(8) > lstm(4) > dense", input_size=2, lookback=10, n_steps=3)
>>> net(torch.zeros(5, 10, 2)).shape
torch.Size([5, 3, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from rnncast.errors import ConfigError
from rnncast.nn.blocks import ConvLSTM, EncoderDecoder, SubsequenceConv
from rnncast.nn.layers import Dropout, RecurrentLayer, with_columns
from rnncast.nn.smoothing import Smoothing
from rnncast.nn.spec import LayerSpec, parse_spec, spec_text

_ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class LastStep(nn.Module):
    """Keep the last step of a sequence: (B, T, D) -> (B, D)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1]


@dataclass
class _Flow:
    """What flows between layers: a sequence (B, T, D), a vector (B, D) or steps (B, S, D)."""

    kind: str  # "seq", "vec" or "steps"
    width: int
    length: int = 0
    recurrent: bool = False  # a sequence made by a recurrent layer ends in its last step


class StackNet(nn.Module):
    """A stack of layers described by a model spec, ending in the output layer.

    Args:
        layers: Parsed spec (see :mod:`rnncast.nn.spec`).
        input_size: F, features per step.
        lookback: L, steps per window.
        n_steps: S, forecast steps emitted per window.
        n_targets: C, target series.
    """

    def __init__(
        self,
        layers: Sequence[LayerSpec],
        input_size: int,
        lookback: int,
        n_steps: int = 1,
        n_targets: int = 1,
    ) -> None:
        super().__init__()
        self.n_steps, self.n_targets = n_steps, n_targets
        self.spec = spec_text(layers)
        flow = _Flow("seq", input_size, lookback)
        blocks: list[nn.Module] = []
        layers = list(layers)
        if layers[-1].kind != "dense":
            layers.append(LayerSpec("dense", {"units": None, "activation": "linear"}))
        for i, layer in enumerate(layers):
            flow = self._add(blocks, layer, flow, lookback, is_output=i == len(layers) - 1)
        self.blocks = nn.ModuleList(blocks)

    def _add(self, blocks, layer: LayerSpec, flow: _Flow, lookback: int, is_output: bool) -> _Flow:
        a, kind = layer.args, layer.kind
        if kind == "dropout":
            blocks.append(Dropout(a["rate"]))
            return flow
        if kind == "dense":
            return self._add_dense(blocks, layer, flow, is_output)
        if kind == "cnn":
            block = SubsequenceConv(
                flow.width,
                lookback,
                a["filters"],
                a["kernel"],
                a["sub"],
                a["pool"],
                a["activation"],
            )
            blocks.append(block)
            return _Flow("seq", block.output_size, a["sub"])
        if kind == "convlstm":
            block = ConvLSTM(
                flow.width, lookback, a["filters"], a["kernel"], a["sub"], a["activation"]
            )
            blocks.append(block)
            return _Flow("vec", block.output_size)
        if kind == "seq2seq":
            block = EncoderDecoder(a["cell"], flow.width, a["units"], self.n_steps, a["activation"])
            blocks.append(block)
            return _Flow("steps", block.output_size, self.n_steps)
        cell = kind.removeprefix("bi")
        block = RecurrentLayer(
            cell,
            flow.width,
            a["units"],
            a["activation"],
            bidirectional=kind.startswith("bi"),
            merge=a.get("merge", "concat"),
            orthogonal=a["orthogonal"],
            forget_bias=a.get("forget_bias", 0.0),
            dilation=a.get("dilation", 1),
        )
        blocks.append(block)
        return _Flow("seq", block.output_size, flow.length, recurrent=True)

    def _add_dense(self, blocks, layer: LayerSpec, flow: _Flow, is_output: bool) -> _Flow:
        if flow.kind == "seq":
            blocks.append(LastStep() if flow.recurrent else nn.Flatten())
            width = flow.width if flow.recurrent else flow.width * flow.length
            flow = _Flow("vec", width)
        units = layer.args["units"]
        if is_output:
            needed = self.n_targets if flow.kind == "steps" else self.n_steps * self.n_targets
            if units is not None and units != needed:
                raise ConfigError(
                    f"The last layer dense({units}) cannot produce the output: it needs "
                    f"{needed} values ({self.n_steps} step(s) x {self.n_targets} target(s)"
                    f"{' per decoder step' if flow.kind == 'steps' else ''}); write 'dense' "
                    "without a size."
                )
            units = needed
        elif units is None:
            raise ConfigError("Only the last dense may leave out its size; give the others one.")
        blocks.append(nn.Linear(flow.width, units))  # acts per step on (B, S, D) too
        if layer.args["activation"] != "linear":
            blocks.append(_ACTIVATION_MODULES[layer.args["activation"]]())
        return _Flow(flow.kind, units, flow.length)

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        """``series`` is accepted for a common signature and unused here."""
        for block in self.blocks:
            x = block(x)
        return x.reshape(-1, self.n_steps, self.n_targets)  # (B, S * C) or (B, S, C) -> (B, S, C)


class SeriesEmbedding(nn.Module):
    """A learned vector per series, appended to every step's inputs of the network it wraps.

    Args:
        net: The network, built for ``F + dim`` input features.
        n_series: How many series there are.
        dim: Size of each series' vector.

    >>> core = build_network("gru(4) > dense", input_size=2 + 3, lookback=6)
    >>> SeriesEmbedding(core, n_series=10, dim=3)(torch.zeros(5, 6, 2), torch.arange(5)).shape
    torch.Size([5, 1, 1])
    """

    def __init__(self, net: nn.Module, n_series: int, dim: int) -> None:
        super().__init__()
        self.net, self.embedding = net, nn.Embedding(n_series, dim)

    @property
    def spec(self) -> str:
        return f"{self.net.spec} (+ series embedding of {self.embedding.embedding_dim})"

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        if series is None:
            series = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        vectors = self.embedding(series)[:, None, :].expand(-1, x.shape[1], -1)  # (B, L, D)
        return self.net(torch.cat([x, vectors], dim=-1))  # (B, L, F + D) -> (B, S, C)


class WindowNorm(nn.Module):
    """Each window normalised by its own level before the network it wraps, and the forecast
    put back on that level: one network sees every window, of any series and any trend, on
    one scale. The level is the window's last value (``last``) or its mean (``mean``) of each
    target, so it reads the window's inputs only (no leak), and the inverse is exact.

    Without ``log`` the level is subtracted from the targets' inputs and added to the
    forecasts; with ``log`` the inputs become log ratios to the level and the forecasts
    ``level * exp(output)`` (positive inputs only, as in ES-RNN and N-BEATS' recipes). With an
    ``offset`` a, the logs are of each value plus ``a * level``, so that zeros have them:
    inputs ``log((y + a*level) / ((1 + a) * level))``, forecasts ``(1 + a) * level *
    exp(output) - a * level``; still free of the series' scale, and exactly inverted.

    Args:
        net: The network (any strategy; with an embedding, the embedding wrapper).
        targets: Positions of the targets among the inputs (C of them).
        level: ``last`` or ``mean``.
        log: Log ratios instead of differences.
        offset: With ``log``, the fraction of the level added before the logs (values of 0
            and above); 0: none (positive values).

    >>> core = build_network("gru(4) > dense", input_size=1, lookback=6)
    >>> norm = WindowNorm(core, targets=[0], level="last")
    >>> x = torch.rand(5, 6, 1)
    >>> torch.allclose(norm(x + 100.0), norm(x) + 100.0, atol=1e-4)  # level-free
    True
    >>> zeros = WindowNorm(core, targets=[0], level="mean", log=True, offset=0.1)
    >>> x[:, 2] = 0.0
    >>> torch.allclose(zeros(7.0 * x), 7.0 * zeros(x), rtol=1e-4)  # scale-free, zeros read
    True
    """

    def __init__(
        self,
        net: nn.Module,
        targets: Sequence[int],
        level: str,
        log: bool = False,
        offset: float = 0.0,
    ):
        super().__init__()
        self.net, self.targets, self.level, self.log = net, list(targets), level, log
        self.offset = offset

    @property
    def spec(self) -> str:
        kind = "log ratio to" if self.log else "difference from"
        if self.log and self.offset:
            kind = f"log ratio (each value plus {self.offset:g} x the level) to"
        return f"{self.net.spec} (windows as {kind} their {self.level} value)"

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        t = x[..., self.targets]  # (B, L, C)
        level = t[:, -1] if self.level == "last" else t.mean(dim=1)  # (B, C)
        if self.log:
            floor = torch.finfo(x.dtype).tiny  # a zero reads as the smallest positive value
            if self.offset:
                shift = self.offset * level  # (B, C)
                t, level = t + shift[:, None], level + shift
            base = torch.log(level.clamp_min(floor))
            ratios = torch.log(t.clamp_min(floor)) - base[:, None]
            out = self.net(with_columns(x, self.targets, ratios), series)  # log ratios
            out = torch.exp(out.clamp(-30.0, 30.0) + base[:, None])
            return out - shift[:, None] if self.offset else out
        inputs = with_columns(x, self.targets, t - level[:, None])
        return self.net(inputs, series) + level[:, None]


class Trend(nn.Module):
    """Each target's trend over the whole window, read by the network beside the window's last
    ``lookback`` rows: the drift of a long history, which a window as short as the horizon
    cannot show (what Theta's line gives yearly data), from the window's own rows only.

    The trend is the least-squares slope of each target on the row number (of its logs with
    ``log``; with an ``offset`` a, of the logs of each value plus ``a`` times the mean of the
    window's rows, as :class:`WindowNorm` takes them), as its rise over ``span`` rows (the
    horizon: on the scale of the window's log ratios), one more input column per target on
    every row the network reads. Rows before a
    series' first are NaN in the window (:func:`rnncast.data.windows.pad_start` with
    ``blank``): the slope skips them, and where the network reads them they repeat the
    series' first row, as a padded window does.

    Args:
        net: The network (with its window normalisation): reads (B, lookback, F + C).
        targets: Positions of the targets among the inputs (C of them).
        lookback: Rows the network reads, the window's last.
        log: Slopes of the logs (positive values; the scale of log ratios).
        span: Rows the slope's rise is given over.
        offset: With ``log``, the fraction of the window's mean added before the logs.

    >>> core = build_network("gru(4) > dense", input_size=2, lookback=3)
    >>> trend = Trend(core, targets=[0], lookback=3)
    >>> x = torch.arange(8.0).reshape(1, 8, 1)
    >>> trend.slopes(x).tolist()
    [[1.0]]
    >>> short = torch.cat([torch.full((1, 5, 1), float("nan")), x[:, :3] * 2], dim=1)
    >>> trend.slopes(short).tolist()  # the padded rows skipped
    [[2.0]]
    >>> trend(short).shape
    torch.Size([1, 1, 1])
    """

    def __init__(
        self,
        net: nn.Module,
        targets: Sequence[int],
        lookback: int,
        log: bool = False,
        span=1,
        offset: float = 0.0,
    ):
        super().__init__()
        self.net, self.targets, self.lookback = net, list(targets), lookback
        self.log, self.span, self.offset = log, span, offset

    @property
    def spec(self) -> str:
        what = "log trend" if self.log else "trend"
        return f"{self.net.spec} (the last {self.lookback} rows, beside the window's {what})"

    def slopes(self, x: torch.Tensor) -> torch.Tensor:
        """The least-squares slope (B, C) of each target over the window's rows that are not
        NaN, times ``span``; 0 where fewer than two rows."""
        t = x[..., self.targets]  # (B, W, C)
        seen = ~torch.isnan(t)
        weight = seen.to(x.dtype)
        if self.log:
            if self.offset:
                rows = weight.sum(dim=1, keepdim=True).clamp_min(1.0)
                mean = torch.where(seen, t, torch.zeros_like(t)).sum(dim=1, keepdim=True) / rows
                t = t + self.offset * mean
            t = torch.log(t.clamp_min(torch.finfo(x.dtype).tiny))
        z = torch.where(seen, t, torch.zeros_like(t))
        row = torch.arange(x.shape[1], dtype=x.dtype, device=x.device)[None, :, None]
        n = weight.sum(dim=1, keepdim=True).clamp_min(1.0)
        dr = (row - (weight * row).sum(dim=1, keepdim=True) / n) * weight
        dz = z - (weight * z).sum(dim=1, keepdim=True) / n
        spread = (dr * dr).sum(dim=1)  # (B, C); 0 with fewer than two rows
        slope = (dr * dz).sum(dim=1) / spread.clamp_min(torch.finfo(x.dtype).eps)
        return slope * self.span

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        slope = self.slopes(x)  # (B, C)
        seen = ~torch.isnan(x[:, :, self.targets[0]])  # (B, W): rows of the series
        first = seen.to(x.dtype).argmax(dim=1)  # the series' first row in each window
        index = first[:, None, None].expand(-1, 1, x.shape[-1])
        recent = x[:, -self.lookback :]
        before = ~seen[:, -self.lookback :, None]
        recent = torch.where(before, x.gather(1, index), recent)
        steps = slope[:, None].expand(-1, recent.shape[1], -1)  # (B, L, C)
        return self.net(torch.cat([recent, steps], dim=-1), series)


class Recent(nn.Module):
    """The last ``lookback`` rows of each window to the network it wraps: an ensemble member
    that reads a shorter history than the ensemble's windows.

    >>> core = build_network("gru(4) > dense", input_size=1, lookback=3)
    >>> x = torch.rand(5, 8, 1)
    >>> torch.equal(Recent(core, 3)(x), core(x[:, -3:]))
    True
    """

    def __init__(self, net: nn.Module, lookback: int) -> None:
        super().__init__()
        self.net, self.lookback = net, lookback

    @property
    def spec(self) -> str:
        return f"{self.net.spec} (the last {self.lookback} rows)"

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x[:, -self.lookback :], series)


class Ensemble(nn.Module):
    """Several networks of the same shape, trained apart (each from its own seed); their
    forecast is the median of theirs, value by value, which a member gone astray cannot pull
    far.

    >>> members = [build_network("gru(4) > dense", input_size=1, lookback=6) for _ in range(3)]
    >>> Ensemble(members)(torch.zeros(5, 6, 1)).shape
    torch.Size([5, 1, 1])
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    @property
    def spec(self) -> str:
        specs = [member.spec for member in self.members]
        if len(set(specs)) == 1:
            return f"median of {len(specs)} x {specs[0]}"
        counts = {spec: specs.count(spec) for spec in specs}  # in the members' order
        return f"median of {len(specs)}: " + "; ".join(f"{n} x {s}" for s, n in counts.items())

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        outputs = torch.stack([member(x, series) for member in self.members])  # (M, B, S, C)
        ranked, m = torch.sort(outputs, dim=0).values, len(self.members)  # (exports to ONNX)
        return (ranked[(m - 1) // 2] + ranked[m // 2]) / 2  # the middle two's mean for an even M


class Quantiles(nn.Module):
    """Several quantiles of every step at once: the network it wraps emits Q blocks of S steps
    (B, Q * S, C), block k the forecast of quantile k; the median block is the point forecast.
    Quantiles are sorted value by value, so they never cross.

    >>> core = build_network("gru(4) > dense", input_size=1, lookback=6, n_steps=3 * 2)
    >>> q = Quantiles(core, (0.1, 0.5, 0.9))
    >>> q(torch.zeros(5, 6, 1)).shape, q.every(torch.zeros(5, 6, 1)).shape
    (torch.Size([5, 2, 1]), torch.Size([5, 2, 1, 3]))
    """

    def __init__(self, net: nn.Module, quantiles: Sequence[float]) -> None:
        super().__init__()
        self.net, self.quantiles = net, tuple(quantiles)
        self.point = self.quantiles.index(0.5)

    @property
    def spec(self) -> str:
        return f"{self.net.spec} (quantiles {', '.join(f'{q:g}' for q in self.quantiles)})"

    def every(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        """Every quantile: (B, S, C, Q), sorted along Q."""
        out = self.net(x, series)  # (B, Q * S, C)
        b, _, c = out.shape
        blocks = out.reshape(b, len(self.quantiles), -1, c).permute(0, 2, 3, 1)
        return torch.sort(blocks, dim=-1).values

    def forward(self, x: torch.Tensor, series: torch.Tensor | None = None) -> torch.Tensor:
        return self.every(x, series)[..., self.point]


def build_network(
    spec: str | Sequence,
    input_size: int,
    lookback: int,
    n_steps: int = 1,
    n_targets: int = 1,
    season: int = 1,
) -> nn.Module:
    """Build the network of a model spec (text, list of layers, or parsed layers). A spec
    that starts with ``es`` smooths one series whose targets are the last ``n_targets``
    inputs, by its own season or ``season`` (see :mod:`rnncast.nn.smoothing`)."""
    layers = list(spec if _is_parsed(spec) else parse_spec(spec))
    if layers[0].kind != "es":
        return StackNet(layers, input_size, lookback, n_steps, n_targets)
    if n_targets > input_size:
        raise ConfigError("es() smooths the targets' own past: the inputs must end with them.")
    core = StackNet(layers[1:], input_size, lookback, n_steps, n_targets)
    targets = range(input_size - n_targets, input_size)
    m = layers[0].args["season"] or season
    return Smoothing(core, list(targets), 1, m, range(1, n_steps + 1))


def _is_parsed(spec) -> bool:
    return not isinstance(spec, str) and all(isinstance(x, LayerSpec) for x in spec)
