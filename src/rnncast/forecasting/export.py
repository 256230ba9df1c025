"""A fitted model as one ONNX file: raw windows in, forecasts in original units out, with the
deseasonalising, the scaling (per series), the network, the recursive roll-out and the
inverse all inside the graph, so a consumer needs only ``onnxruntime`` and NumPy.

The graph's inputs: ``window`` (B, L, F) float32, the last L rows of the run's input columns
(``metadata["inputs"]``, in that order) in original units; with several series ``series``
(B,) int64, each window's series number (``metadata["series"]`` lists the ids in order);
with deseasonalising ``phase`` (B,) int64, the seasonal phase of each window's first row
(``metadata["phase"]`` says how to count it). Its output: ``forecast`` (B, N, C), the
forecast of N steps (``metadata["steps"]``, the leads) of the C targets; with quantiles also
``quantiles`` (B, N, C, Q).

The recursive roll-out is unrolled into the graph for the number of steps asked for at export
(measured in ``benchmarks/export_latency.py``: an ONNX ``Loop`` makes long roll-outs' files
a fifth of the size but each forecast about 3 % slower). Windows must be whole: a series
shorter than the lookback repeats its first value before it, as a padded fit does; a model
that reads a trend over its window (``--trend``, the default's) takes NaN rows there instead
(``metadata["before_first_row"]`` says which), whose slope skips them.

A run with inputs known ahead (``--known``, ``--calendar``, ``--holidays``, static
covariates) takes one more input, ``future`` (B, R, K) float32: the K known columns
(``metadata["known"]``, in that order) on the R rows after each window
(``metadata["future_rows"]``: the rows the forecast reads, at least one horizon), in original
units. The graph reads them ahead as the fitted network does (row t of a window beside the
known values of row t + one call's rows) and rolls the forecast on block by block as
``Forecaster.forecast`` does. Calendar and holiday columns are the user's to compute:
``metadata["known_columns"]`` says how, from the date on the clock of the run's zone.

Refused, in one line each: forecasts beyond one horizon of a model with past covariates
(their future is unknown).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnncast.data.calendar import describe_calendar
from rnncast.errors import ConfigError, RnncastError
from rnncast.evaluation.intervals import floors
from rnncast.forecasting.future import leads_of
from rnncast.forecasting.predictor import Predictor
from rnncast.persistence.files import write_bytes_atomic
from rnncast.version import __version__

OPSET = 17  # the TorchScript-based exporter's
DYNAMO_OPSET = 18  # the torch.export-based exporter's lowest
EXPORTERS = ("auto", "torchscript", "dynamo")
PHASE_NOTE = (
    "periods of the data's frequency since 1970-01-01 (pandas Period ordinal) of the window's "
    "first row, divided by the frequency's multiple; taken modulo the season inside"
)


def _floors(f) -> np.ndarray:
    """The floor of each series' quantiles (G, C), from its own training rows."""
    data, targets = f.data_, f.predictor_.targets
    parts = [data.series(g) for g in range(data.n_series)] if data.n_series else [data]
    splits = f.splits_ if data.n_series else [f.split_]
    return np.stack(
        [
            floors(part.frame.to_numpy()[: split.n_train, targets])
            for part, split in zip(parts, splits, strict=True)
        ]
    )


class Exported(nn.Module):
    """The whole forecast of a :class:`Predictor` as one traceable module (see the module)."""

    def __init__(self, p: Predictor, steps: int | None, floor: np.ndarray) -> None:
        super().__init__()
        self.net = copy.deepcopy(p.net).cpu()  # traced on the CPU, wherever it was trained
        self.lookback, self.strategy = p.lookback, p.strategy
        self.block = 1 if p.strategy == "recursive" else p.max_step  # rows per network call
        self.leads = leads_of(p, steps, "export")
        if p.past and len(self.leads) > p.max_step:
            raise ConfigError(
                f"The model reads past covariates (--features), unknown beyond one horizon: "
                f"export at most {p.max_step} steps."
            )
        self.quantiles = p.quantiles
        s = p.scaler
        if self.quantiles:  # (G, C): each series' floor of its quantiles (future.py's)
            self.register_buffer("floor", torch.as_tensor(floor, dtype=torch.float32))
            self.median = self.quantiles.index(0.5)
        self.columns = _window_columns(p, s.shift_.shape[1])  # the frame's, in the window
        self.where = [p.targets.index(i) for i in p.inputs] if not (p.past or p.known) else []
        f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        self.register_buffer("shift_in", f32(s.shift_[:, self.columns]))  # (G, W)
        self.register_buffer("scale_in", f32(s.scale_[:, self.columns]))
        self.register_buffer("shift_out", f32(s.shift_[:, p.targets]))  # (G, C)
        self.register_buffer("scale_out", f32(s.scale_[:, p.targets]))
        self.seasonal = s.seasonal
        if self.seasonal:
            self.register_buffer("season_in", f32(s.seasons_[:, :, self.columns]))  # (G, m, W)
            self.register_buffer("season_out", f32(s.seasons_[:, :, p.targets]))  # (G, m, C)
        self.series_aware = p.embedded
        self.known = bool(p.known)
        if self.known:
            self._read_ahead(p, s, f32)

    def _read_ahead(self, p: Predictor, s, f32) -> None:
        """What the roll-out of a model with known inputs needs (see :meth:`_roll_known`)."""
        n_frame = s.shift_.shape[1]
        # past covariates and targets; past the window only targets (a model whose roll-out
        # would read past covariates there is refused above, or at its fit if recursive)
        frame = [i for i in p.inputs if i < n_frame]
        self.kpos = [self.columns.index(k) for k in p.known]  # known columns in the window
        self.fpos = [self.columns.index(i) for i in frame]
        self.targets_of = [p.targets.index(i) if i in p.targets else -1 for i in frame]
        position = {i: k for k, i in enumerate(frame)}  # (frame inputs, then read-ahead) order
        self.order = [position[i] if i < n_frame else len(frame) + i - n_frame for i in p.inputs]
        self.reach = p.reach
        self.block = 1 if p.step_by_step else p.max_step
        self.future_rows = max(max(self.leads), self.reach)
        self.register_buffer("shift_known", f32(s.shift_[:, p.known]))  # (G, K)
        self.register_buffer("scale_known", f32(s.scale_[:, p.known]))

    def forward(
        self,
        window: torch.Tensor,
        series: torch.Tensor | None = None,
        phase: torch.Tensor | None = None,
        future: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        b, n_rows = window.shape[0], window.shape[1]
        if series is None:
            series = torch.zeros(b, dtype=torch.long)
        x = window
        if self.seasonal:
            x = x / _factors(self.season_in, series, phase, torch.arange(n_rows))
        x = (x - self.shift_in[series][:, None]) / self.scale_in[series][:, None]
        aware = series if self.series_aware else None
        if self.known:
            future = (future - self.shift_known[series][:, None]) / self.scale_known[series][
                :, None
            ]
            scaled, x = self._roll_known(x, future, aware)
        else:
            scaled = self._roll(x, aware)
        out = self._original(scaled, series, phase)  # (B, N, C)
        if not self.quantiles:
            return out
        every = self.net.every(x, aware)[:, : len(self.leads)]  # (B, N, C, Q), scaled
        every = self._original(every.permute(3, 0, 1, 2), series, phase)  # (Q, B, N, C)
        low = torch.minimum(self.floor[series][:, None], every[self.median])  # (B, N, C)
        return out, torch.maximum(every, low).permute(1, 2, 3, 0)

    def _original(self, out: torch.Tensor, series, phase) -> torch.Tensor:
        """Scaled forecasts (..., B, N, C) in original units."""
        out = out * self.scale_out[series][:, None] + self.shift_out[series][:, None]
        if self.seasonal:
            rows = torch.tensor(self.leads) + (self.lookback - 1)
            out = out * _factors(self.season_out, series, phase, rows)
        return out

    def _roll(self, x: torch.Tensor, series: torch.Tensor | None) -> torch.Tensor:
        """The network's steps, and beyond them its own forecasts fed back, block by block."""
        if self.leads != list(range(1, len(self.leads) + 1)):  # a set of steps: one call
            return self.net(x, series)
        blocks, done = [], 0
        while done < len(self.leads):
            y = self.net(x, series)[:, : self.block]  # (B, H, C)
            take = min(self.block, len(self.leads) - done)
            blocks.append(y[:, :take])
            done += take
            if done < len(self.leads):
                x = torch.cat([x, y[:, :, self.where]], dim=1)[:, -self.lookback :]
        return torch.cat(blocks, dim=1)

    def _roll_known(self, x: torch.Tensor, future: torch.Tensor, series):
        """:meth:`_roll` for a model that reads known values ahead, as
        :func:`rnncast.evaluation.modes.roll_forward` does it: beside row t of a window the
        known values of row t + ``reach``; blocks of ``block`` rows, the last ending at the
        last step. Returns the scaled forecasts (B, N, C) and the first network input."""
        lookback = self.lookback
        timeline = torch.cat([x[:, :, self.kpos], future], dim=1)  # (B, L + R, K), scaled
        ahead = timeline[:, self.reach :]  # row t: the known values of row t + reach
        base = x[:, :, self.fpos]  # (B, L, frame inputs)

        def network_input(t: int, made: list[torch.Tensor]) -> torch.Tensor:
            rows = base
            if made:  # rows past the window: the forecasts so far (inputs are targets)
                forecasts = torch.cat(made, dim=1)[:, :, self.targets_of]
                rows = torch.cat([base, forecasts], dim=1)
            both = torch.cat([rows[:, t - lookback : t], ahead[:, t - lookback : t]], dim=2)
            return both[:, :, self.order]

        first = network_input(lookback, [])
        if self.leads != list(range(1, len(self.leads) + 1)):  # a set of steps: one call
            return self.net(first, series), first
        steps = len(self.leads)
        starts = list(range(lookback, lookback + steps, self.block))
        if steps > self.block and steps % self.block:
            starts[-1] = lookback + steps - self.block  # no window reads past the last step
        made, done = [], lookback
        for t in starts:
            y = self.net(first if t == lookback else network_input(t, made), series)
            made.append(y[:, done - t : self.block])
            done = t + self.block
        return torch.cat(made, dim=1)[:, :steps], first


def _window_columns(p: Predictor, n_frame: int) -> list[int]:
    """The frame columns a window holds: the network's inputs; with known inputs, the
    past covariates and targets it reads and every known column (read ahead), in frame
    order."""
    if not p.known:
        return list(p.inputs)
    return sorted({*(i for i in p.inputs if i < n_frame), *p.known})


def _factors(seasons: torch.Tensor, series, phase, rows) -> torch.Tensor:
    """Seasonal factors (B, R, K) of ``rows`` (R,) after each window's first row's ``phase``,
    from each window's series' indices ``seasons`` (G, m, K)."""
    m = seasons.shape[1]
    at = torch.remainder(phase[:, None] + rows[None, :], m)  # (B, R)
    own = seasons[series]  # (B, m, K)
    return torch.gather(own, 1, at[:, :, None].expand(-1, -1, own.shape[2]))


def export_onnx(
    f,
    path: str | Path,
    steps: int | None = None,
    overwrite: bool = False,
    exporter: str = "auto",
) -> Path:
    """Write forecaster ``f``'s model as one ONNX file at ``path`` (see the module); returns
    the path. Its metadata (``rnncast`` key, JSON) describes inputs, outputs and the run.

    ``exporter``: PyTorch's ``torchscript``-based exporter (fast: about a second for the
    default ensemble; deprecated upstream), its ``dynamo`` (torch.export-based) one (needs
    ``onnxscript``; ten to twenty times slower to export, the same forecasts), or ``auto``:
    TorchScript, and where it fails or a PyTorch no longer has it, dynamo."""
    if exporter not in EXPORTERS:
        raise ConfigError(f"exporter must be one of {', '.join(EXPORTERS)}, got {exporter!r}.")
    if exporter == "dynamo" and importlib.util.find_spec("onnxscript") is None:
        raise RnncastError("The dynamo exporter needs onnxscript: pip install 'rnncast[export]'.")
    try:
        import onnx  # noqa: F401  (the optional extra: pip install rnncast[export])
    except ImportError:
        raise RnncastError(
            "Exporting to ONNX needs the onnx package: pip install 'rnncast[export]'."
        ) from None
    p, data = f.predictor_, f.data_
    module = Exported(p, steps, _floors(f)).eval()
    g = max(1, data.n_series)
    example = {"window": torch.ones(2, p.lookback, len(module.columns))}
    if g > 1 or p.embedded:
        example["series"] = torch.zeros(2, dtype=torch.long)
    if module.seasonal:
        example["phase"] = torch.zeros(2, dtype=torch.long)
    if module.known:
        example["future"] = torch.ones(2, module.future_rows, len(p.known))
    names = list(example)
    outputs = ["forecast", "quantiles"] if module.quantiles else ["forecast"]
    wrapper = _Positional(module, names).eval()  # the exporters restore this mode after
    order = ("torchscript", "dynamo") if exporter == "auto" else (exporter,)
    failures = []
    for way in order:
        try:
            graph = _graph(way, wrapper, tuple(example.values()), names, outputs)
            break
        except Exception as exc:  # PyTorch's exporters: one line, the details under --debug
            failures.append((way, exc))
        finally:
            p.net.eval()  # whatever an exporter did, the forecaster's network stays in eval
    else:
        raise RnncastError(
            "PyTorch's ONNX exporter could not export this model ("
            + "; ".join(f"{way}: {_first_line(exc)}" for way, exc in failures)
            + "); nothing was written. Please report it with the run's config.json."
        ) from failures[-1][1]
    meta = {**describe(f, module, names), "exporter": way}
    model = _with_metadata(graph, meta)
    write_bytes_atomic(path, model, overwrite)
    return Path(path)


def _graph(way: str, wrapper: nn.Module, args: tuple, names: list[str], outputs: list[str]):
    """The ONNX model (bytes) of ``wrapper`` called with ``args``, by PyTorch's ``way``
    exporter, every input's first axis (the batch) left free."""
    with warnings.catch_warnings(), torch.no_grad(), _quiet("torch.onnx", "torch.export"):
        warnings.simplefilter("ignore")  # the exporters' notices
        if way == "torchscript":
            buffer = io.BytesIO()
            axes = {name: {0: "batch"} for name in [*names, *outputs]}
            torch.onnx.export(
                wrapper,
                args,
                buffer,
                dynamo=False,
                input_names=names,
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=OPSET,
            )
            return buffer.getvalue()
        if importlib.util.find_spec("onnxscript") is None:  # what dynamo writes graphs with
            raise RnncastError("it needs onnxscript: pip install 'rnncast[export]'")
        batch = torch.export.Dim("batch", min=1)
        program = torch.onnx.export(
            wrapper,
            args,
            dynamo=True,
            input_names=names,
            output_names=outputs,
            dynamic_shapes=(tuple({0: batch} for _ in names),),  # forward(*args): one tuple
            opset_version=DYNAMO_OPSET,
            verbose=False,
        )
        return program.model_proto.SerializeToString()


@contextlib.contextmanager
def _quiet(*loggers: str):
    """Silence the named loggers' notices below errors (the dynamo exporter logs what it
    skips), restoring their levels after."""
    was = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in was.items():
            logging.getLogger(name).setLevel(level)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0][:200] if text else ""
    return first if isinstance(exc, RnncastError) else f"{type(exc).__name__}: {first}"


class _Positional(nn.Module):
    """The exported module called with its inputs in the order of ``names``."""

    def __init__(self, module: Exported, names: list[str]) -> None:
        super().__init__()
        self.module, self.names = module, names

    def forward(self, *args):
        return self.module(**dict(zip(self.names, args, strict=True)))


def describe(f, module: Exported, names: list[str]) -> dict[str, Any]:
    """What a consumer needs to call the graph, and where it came from."""
    data, p, cfg = f.data_, f.predictor_, f.config_
    columns = [data.columns[i] for i in module.columns]
    out: dict[str, Any] = {
        "format": "rnncast-onnx",
        "rnncast": __version__,
        "inputs": columns,
        "targets": list(data.targets),
        "lookback": p.lookback,
        "before_first_row": "NaN" if p.blank else "the series' first row, repeated",
        "steps": module.leads,
        "frequency": data.freq,
        "zone": data.zone,  # the time zone of the run's dates (None: none given)
        "season": f.season_,
        "model": cfg.model,
        "graph_inputs": {name: _shape(name, p, columns, module) for name in names},
        "graph_output": {"forecast": f"(batch, {len(module.leads)}, {len(data.targets)})"},
        "quantiles": list(module.quantiles or []),
        "units": "original units in and out; scaling and seasonality inside the graph",
    }
    if module.quantiles:
        out["graph_output"]["quantiles"] = (
            f"(batch, {len(module.leads)}, {len(data.targets)}, {len(module.quantiles)}): "
            "each of 'quantiles', sorted; those below the median no lower than 0 for a "
            "target never below 0 in the series' training rows (nor above the median)"
        )
    if "series" in names:
        out["series"] = [str(name) for name in data.ids] if data.ids else [None]
        out["id"] = data.id_column
    if "phase" in names:
        out["phase"] = PHASE_NOTE
    if module.known:
        known = [data.columns[i] for i in p.known]
        out["known"], out["future_rows"] = known, module.future_rows
        out["known_columns"] = known_columns(data, known)
    source = f.source_ or {}
    out["data"] = {k: source[k] for k in ("path", "sha256") if source.get(k) is not None}
    return out


def known_columns(data, names: list[str]) -> dict[str, str]:
    """How each known column is made, for a consumer that must give its future values."""
    made = describe_calendar(data.calendar, data.holidays)
    clock = f" on the clock of time zone {data.zone}" if data.zone else ""
    static = set(data.static_columns)
    out = {}
    for name in names:
        if name in made:
            out[name] = made[name] + f", of the row's date{clock}"
        elif name in static:
            out[name] = "a static covariate: the series' own value on every row"
        else:
            out[name] = "the user's column, known ahead: its planned or forecast values"
    return out


def _shape(name: str, p: Predictor, columns: list[str], module: Exported) -> str:
    if name == "window":
        return f"float32 (batch, {p.lookback}, {len(columns)}): the last rows of {columns}"
    if name == "future":
        return (
            f"float32 (batch, {module.future_rows}, {len(p.known)}): the known columns (see "
            "'known') on the rows after the window, in original units"
        )
    if name == "series":
        return "int64 (batch,): each window's series number, as listed in 'series'"
    return "int64 (batch,): the seasonal phase of each window's first row, see 'phase'"


def _with_metadata(model: bytes, meta: dict[str, Any]) -> bytes:
    import onnx

    proto = onnx.load_from_string(model)
    entry = proto.metadata_props.add()
    entry.key, entry.value = "rnncast", json.dumps(meta, default=str)
    proto.producer_name, proto.producer_version = "rnncast", __version__
    return proto.SerializeToString()
