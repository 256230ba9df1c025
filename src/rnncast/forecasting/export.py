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
(ONNX ``Loop`` would need the network traced as a subgraph; unrolled, ``onnxruntime`` runs
the same kernels a step at a time). Windows must be whole: a series shorter than the lookback
repeats its first value before it, as a padded fit does.

Refused, in one line each: runs with inputs known ahead (the graph would need their future
values as another input; not built yet), and forecasts beyond one horizon of a model with past
covariates (their future is unknown).
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from rnncast.errors import ConfigError, RnncastError
from rnncast.forecasting.future import leads_of
from rnncast.forecasting.predictor import Predictor
from rnncast.persistence.files import write_bytes_atomic
from rnncast.version import __version__

OPSET = 17
PHASE_NOTE = (
    "periods of the data's frequency since 1970-01-01 (pandas Period ordinal) of the window's "
    "first row, divided by the frequency's multiple; taken modulo the season inside"
)


class Exported(nn.Module):
    """The whole forecast of a :class:`Predictor` as one traceable module (see the module)."""

    def __init__(self, p: Predictor, steps: int | None) -> None:
        super().__init__()
        if p.known:
            raise ConfigError(
                "This run reads inputs known ahead, which the ONNX export does not take yet; "
                "export a run without --known, --calendar or --holidays."
            )
        self.net, self.lookback, self.strategy = p.net, p.lookback, p.strategy
        self.block = 1 if p.strategy == "recursive" else p.max_step  # rows per network call
        self.leads = leads_of(p, steps, "export")
        if p.past and len(self.leads) > p.max_step:
            raise ConfigError(
                f"The model reads past covariates (--features), unknown beyond one horizon: "
                f"export at most {p.max_step} steps."
            )
        self.where = [p.targets.index(i) for i in p.inputs] if not p.past else []
        self.quantiles = p.quantiles
        s = p.scaler
        f32 = lambda a: torch.as_tensor(np.asarray(a), dtype=torch.float32)  # noqa: E731
        self.register_buffer("shift_in", f32(s.shift_[:, p.inputs]))  # (G, F)
        self.register_buffer("scale_in", f32(s.scale_[:, p.inputs]))
        self.register_buffer("shift_out", f32(s.shift_[:, p.targets]))  # (G, C)
        self.register_buffer("scale_out", f32(s.scale_[:, p.targets]))
        self.seasonal = s.seasonal
        if self.seasonal:
            self.register_buffer("season_in", f32(s.seasons_[:, :, p.inputs]))  # (G, m, F)
            self.register_buffer("season_out", f32(s.seasons_[:, :, p.targets]))  # (G, m, C)
        self.series_aware = p.embedded

    def forward(
        self,
        window: torch.Tensor,
        series: torch.Tensor | None = None,
        phase: torch.Tensor | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        b, n_rows = window.shape[0], window.shape[1]
        if series is None:
            series = torch.zeros(b, dtype=torch.long)
        x = window
        if self.seasonal:
            x = x / _factors(self.season_in, series, phase, torch.arange(n_rows))
        x = (x - self.shift_in[series][:, None]) / self.scale_in[series][:, None]
        aware = series if self.series_aware else None
        out = self._original(self._roll(x, aware), series, phase)  # (B, N, C)
        if not self.quantiles:
            return out
        every = self.net.every(x, aware)[:, : len(self.leads)]  # (B, N, C, Q), scaled
        every = self._original(every.permute(3, 0, 1, 2), series, phase)  # (Q, B, N, C)
        return out, every.permute(1, 2, 3, 0)

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


def _factors(seasons: torch.Tensor, series, phase, rows) -> torch.Tensor:
    """Seasonal factors (B, R, K) of ``rows`` (R,) after each window's first row's ``phase``,
    from each window's series' indices ``seasons`` (G, m, K)."""
    m = seasons.shape[1]
    at = torch.remainder(phase[:, None] + rows[None, :], m)  # (B, R)
    own = seasons[series]  # (B, m, K)
    return torch.gather(own, 1, at[:, :, None].expand(-1, -1, own.shape[2]))


def export_onnx(f, path: str | Path, steps: int | None = None, overwrite: bool = False) -> Path:
    """Write forecaster ``f``'s model as one ONNX file at ``path`` (see the module); returns
    the path. Its metadata (``rnncast`` key, JSON) describes inputs, outputs and the run."""
    try:
        import onnx  # noqa: F401  (the optional extra: pip install rnncast[export])
    except ImportError:
        raise RnncastError(
            "Exporting to ONNX needs the onnx package: pip install 'rnncast[export]'."
        ) from None
    p = f.predictor_
    module = Exported(p, steps).eval()
    data = f.data_
    g = max(1, data.n_series)
    example = {"window": torch.ones(2, p.lookback, len(p.inputs))}
    if g > 1 or p.embedded:
        example["series"] = torch.zeros(2, dtype=torch.long)
    if module.seasonal:
        example["phase"] = torch.zeros(2, dtype=torch.long)
    names = list(example)
    outputs = ["forecast", "quantiles"] if module.quantiles else ["forecast"]
    axes = {name: {0: "batch"} for name in [*names, *outputs]}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's notices
        wrapper = _Positional(module, names).eval()  # the exporter restores this mode after
        try:
            torch.onnx.export(
                wrapper,
                tuple(example.values()),
                buffer,
                dynamo=False,
                input_names=names,
                output_names=outputs,
                dynamic_axes=axes,
                opset_version=OPSET,
            )
        except Exception as exc:  # PyTorch's exporter: one line, the details under --debug
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise RnncastError(
                f"PyTorch's ONNX exporter could not export this model ({type(exc).__name__}: "
                f"{first[:200]}); nothing was written. Please report it with the run's "
                "config.json."
            ) from exc
        finally:
            p.net.eval()  # whatever the exporter did, the forecaster's network stays in eval
    model = _with_metadata(buffer.getvalue(), describe(f, module, names))
    write_bytes_atomic(path, model, overwrite)
    return Path(path)


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
    columns = [data.columns[i] for i in p.inputs]
    out: dict[str, Any] = {
        "format": "rnncast-onnx",
        "rnncast": __version__,
        "inputs": columns,
        "targets": list(data.targets),
        "lookback": p.lookback,
        "steps": module.leads,
        "frequency": data.freq,
        "zone": data.zone,  # the time zone of the run's dates (None: none given)
        "season": f.season_,
        "model": cfg.model,
        "graph_inputs": {name: _shape(name, p, columns) for name in names},
        "graph_output": {"forecast": f"(batch, {len(module.leads)}, {len(data.targets)})"},
        "quantiles": list(module.quantiles or []),
        "units": "original units in and out; scaling and seasonality inside the graph",
    }
    if module.quantiles:
        out["graph_output"]["quantiles"] = (
            f"(batch, {len(module.leads)}, {len(data.targets)}, {len(module.quantiles)}): "
            "each of 'quantiles', sorted"
        )
    if "series" in names:
        out["series"] = [str(name) for name in data.ids] if data.ids else [None]
        out["id"] = data.id_column
    if "phase" in names:
        out["phase"] = PHASE_NOTE
    source = f.source_ or {}
    out["data"] = {k: source[k] for k in ("path", "sha256") if source.get(k) is not None}
    return out


def _shape(name: str, p: Predictor, columns: list[str]) -> str:
    if name == "window":
        return f"float32 (batch, {p.lookback}, {len(columns)}): the last rows of {columns}"
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
