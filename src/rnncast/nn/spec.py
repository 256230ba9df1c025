"""One line describes a model: ``"lstm(64, relu) > lstm(32) > dropout(0.2) > dense"``.

A spec is layers joined by ``>``; each layer is a name with optional arguments, positional in
the order of its parameters or ``key=value``. A bare preset name (``lstm``, ``bilstm``,
``cnn-lstm``, ``seq2seq``, ``stacked-lstm``, ...) expands to a sensible stack. Parsing is plain
text handling: nothing is evaluated. A final ``dense`` without a size is the output layer.

>>> [str(layer) for layer in parse_spec("lstm(64, relu) > dropout(0.2) > dense")]
['lstm(64, activation=relu)', 'dropout(0.2)', 'dense']
>>> parse_spec("lstn(4)")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
rnncast.errors.ConfigError: Unknown layer 'lstn' in the model spec. Did you mean 'lstm'? ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rnncast.errors import ConfigError, SettingTypeError, closest

_RECURRENT = {
    "units": 50,
    "activation": "tanh",
    "orthogonal": False,
    "forget_bias": 0.0,
    "dilation": 1,
}
_BIDIRECTIONAL = {**_RECURRENT, "merge": "concat"}

# name -> parameters in positional order with their defaults (None: required).
LAYERS: dict[str, dict[str, Any]] = {
    "rnn": {k: v for k, v in _RECURRENT.items() if k != "forget_bias"},
    "lstm": dict(_RECURRENT),
    "gru": {k: v for k, v in _RECURRENT.items() if k != "forget_bias"},
    "birnn": {k: v for k, v in _BIDIRECTIONAL.items() if k != "forget_bias"},
    "bilstm": dict(_BIDIRECTIONAL),
    "bigru": {k: v for k, v in _BIDIRECTIONAL.items() if k != "forget_bias"},
    "dropout": {"rate": None},
    "dense": {"units": None, "activation": "linear"},
    "cnn": {"filters": 64, "kernel": 2, "sub": 2, "pool": 2, "activation": "relu"},
    "convlstm": {"filters": 64, "kernel": 2, "sub": 2, "activation": "tanh"},
    "seq2seq": {"units": 100, "cell": "lstm", "activation": "tanh"},
    "es": {"season": 0},  # 0: the data's season
}
ALIASES = {
    "cnn-lstm": "cnn",
    "simplernn": "rnn",
    "encoder-decoder": "seq2seq",
    "smoothing": "es",
}
CHOICES = {
    "activation": ("tanh", "relu", "sigmoid", "linear"),
    "merge": ("concat", "sum"),
    "cell": ("lstm", "gru", "rnn"),
}
MAX_UNITS = 4096  # units, filters, kernel, sub and pool of one layer: generous, but finite
RECURRENT_KINDS = ("rnn", "lstm", "gru", "birnn", "bilstm", "bigru")
FRONT_ENDS = ("cnn", "convlstm")

PRESETS = {
    "dense": "dense(100, relu) > dense",
    "rnn": "rnn(64) > dense",
    "lstm": "lstm(64) > dense",
    "gru": "gru(64) > dense",
    "stacked-rnn": "rnn(50) > rnn(50) > dense",
    "stacked-lstm": " > ".join(["lstm(50) > dropout(0.2)"] * 4) + " > dense",
    "stacked-gru": "gru(50) > dropout(0.2) > gru(50) > dropout(0.2) > dense",
    "mixed": "lstm(100) > dropout(0.2) > lstm(100) > dropout(0.2) > gru(50) > dense",
    "birnn": "birnn(50) > dense",
    "bilstm": "bilstm(50) > dense",
    "bigru": "bigru(50) > dense",
    "stacked-bilstm": "bilstm(50) > bilstm(50) > dense",
    "cnn-lstm": "cnn(filters=64, kernel=1, sub=2, pool=2) > lstm(50) > dense",
    "convlstm": "convlstm(filters=64, kernel=2, sub=2) > dense",
    "seq2seq": "seq2seq(100) > dense",
    # after Smyl's ES-RNN: per-series exponential smoothing, then dilated LSTMs
    "es-rnn": "es > lstm(32) > lstm(32, dilation=2) > dense",
}


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a spec: its canonical name and every argument, defaults filled in."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        defaults = LAYERS[self.kind]
        names = list(defaults)
        shown = []
        for i, name in enumerate(names):
            value = self.args.get(name)
            if i == 0 and value is not None and (self.kind, value) != ("es", 0):
                shown.append(_text(value))
            elif i > 0 and value != defaults[name]:
                shown.append(f"{name}={_text(value)}")
        return self.kind + (f"({', '.join(shown)})" if shown else "")


def parse_spec(spec: str | Sequence[str | dict | LayerSpec]) -> list[LayerSpec]:
    """Parse a model spec (text, or a list of layer texts, dicts or LayerSpecs) into layers."""
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower() in PRESETS:
            text = PRESETS[text.lower()]
        elif (
            re.fullmatch(r"[\w-]+", text) and ALIASES.get(text.lower(), text.lower()) not in LAYERS
        ):
            names = sorted(set(PRESETS) | set(LAYERS))
            raise ConfigError(
                f"Unknown model {text!r}.{closest(text, names)} Presets: "
                f"{', '.join(sorted(PRESETS))}; or write a spec of layers such as "
                "'lstm(64) > dense' (layers: " + ", ".join(sorted(LAYERS)) + ")."
            )
        parts = [p for p in (s.strip() for s in text.split(">"))]
        if not text or any(not p for p in parts):
            raise ConfigError(f"Model spec {spec!r} has an empty layer; join layers with ' > '.")
        layers = [_parse_layer(p) for p in parts]
    else:
        if not isinstance(spec, Sequence):
            raise SettingTypeError(
                f"`model` must be a name, a spec or a list of layers, got {spec!r}."
            )
        layers = [_from_item(item) for item in spec]
        if not layers:
            raise ConfigError("The model spec is empty; give at least one layer, e.g. 'lstm'.")
    _check_order(layers)
    return layers


def spec_text(layers: Sequence[LayerSpec]) -> str:
    """Canonical one-line text of parsed layers."""
    return " > ".join(str(layer) for layer in layers)


def _from_item(item: str | dict | LayerSpec) -> LayerSpec:
    if isinstance(item, LayerSpec):
        return _make(item.kind, [], dict(item.args))
    if isinstance(item, dict):
        values = dict(item)
        name = values.pop("layer", None)
        if not isinstance(name, str):
            raise ConfigError(f"A layer given as a dict needs a 'layer' name, got {item!r}.")
        return _make(name, [], values)
    if isinstance(item, str):
        if ">" in item:
            raise ConfigError(f"List items are single layers; split {item!r} at '>'.")
        return _parse_layer(item.strip())
    raise SettingTypeError(f"Model spec layers must be text, dicts or LayerSpec, got {item!r}.")


_LAYER = re.compile(r"^([A-Za-z][\w-]*)\s*(?:\((.*)\))?$", re.S)


def _parse_layer(text: str) -> LayerSpec:
    match = _LAYER.match(text)
    if not match:
        raise ConfigError(f"Cannot read layer {text!r}; write it as name or name(arg, key=value).")
    name, inner = match.group(1), match.group(2)
    positional, keywords = [], {}
    for raw in (a.strip() for a in inner.split(",")) if inner and inner.strip() else ():
        if not raw:
            raise ConfigError(f"Layer {text!r} has an empty argument.")
        if "=" in raw:
            key, value = (s.strip() for s in raw.split("=", 1))
            if key in keywords:
                raise ConfigError(f"Layer {text!r} gives {key!r} twice.")
            keywords[key] = _value(value)
        elif keywords:
            raise ConfigError(f"In {text!r}, positional arguments must come before key=value.")
        else:
            positional.append(_value(raw))
    return _make(name, positional, keywords)


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if not re.fullmatch(r"[A-Za-z][\w-]*", text):
        raise ConfigError(f"Cannot read argument value {text!r}; use numbers or plain words.")
    return lowered


def _make(name: str, positional: list, keywords: dict) -> LayerSpec:
    kind = ALIASES.get(name.lower(), name.lower())
    if kind not in LAYERS:
        raise ConfigError(
            f"Unknown layer {name!r} in the model spec.{closest(name, sorted(LAYERS))} "
            f"Valid layers: {', '.join(sorted(LAYERS))}."
        )
    params = LAYERS[kind]
    names = list(params)
    if len(positional) > len(names):
        raise ConfigError(f"{kind}() takes at most {len(names)} arguments: {', '.join(names)}.")
    args = dict(params)
    args.update(zip(names, positional, strict=False))
    for key, value in keywords.items():
        if key not in params:
            raise ConfigError(
                f"Unknown argument {key!r} for {kind}().{closest(key, names)} "
                f"Valid: {', '.join(names)}."
            )
        args[key] = value
    for key, value in args.items():
        _check_arg(kind, key, value)
    return LayerSpec(kind, args)


def _check_arg(kind: str, key: str, value: Any) -> None:
    where = f"{kind}({key}=...)"
    if key in CHOICES:
        if value not in CHOICES[key]:
            raise ConfigError(f"{where} must be one of {', '.join(CHOICES[key])}; got {value!r}.")
    elif key in ("units", "filters", "kernel", "sub", "pool", "dilation"):
        if value is None and key == "units" and kind == "dense":
            return
        if value is None and kind == "dense":
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where} must be a whole number >= 1; got {value!r}.")
        if value > MAX_UNITS:
            raise ConfigError(f"{where} must be at most {MAX_UNITS:,}; got {value:,}.")
    elif key == "rate":
        if value is None:
            raise ConfigError("dropout() needs a rate, e.g. dropout(0.2).")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            raise ConfigError(f"dropout rate must be in [0, 1); got {value!r}.")
    elif key == "season":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_UNITS:
            raise ConfigError(
                f"{where} must be a whole number of rows in [1, {MAX_UNITS:,}], or 0 for the "
                f"data's season; got {value!r}."
            )
    elif key == "orthogonal":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false; got {value!r}.")
    elif key == "forget_bias":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number; got {value!r}.")


def _check_order(layers: list[LayerSpec]) -> None:
    if any(layer.kind == "es" for layer in layers[1:]):
        raise ConfigError("es() smooths the raw window: it must be the first layer.")
    if layers[0].kind == "es":
        if len(layers) == 1:
            raise ConfigError("es() needs a network after it, e.g. 'es > lstm(32) > dense'.")
        layers = layers[1:]  # what follows reads the smoothed window as a raw one
    for i, layer in enumerate(layers):
        if layer.kind in FRONT_ENDS and i != 0:
            raise ConfigError(f"{layer.kind}() reads the raw window: it must be the first layer.")
        if layer.kind == "seq2seq":
            rest = [lay.kind for lay in layers[i + 1 :]]
            if any(k not in ("dense", "dropout") for k in rest):
                raise ConfigError(
                    "seq2seq() emits the forecast steps: only dense or dropout may follow."
                )
        if layer.kind in RECURRENT_KINDS and any(lay.kind == "seq2seq" for lay in layers[:i]):
            raise ConfigError("No recurrent layer may follow seq2seq().")
        if layer.kind in RECURRENT_KINDS + ("seq2seq",) and any(
            lay.kind == "dense" for lay in layers[:i]
        ):
            raise ConfigError(
                f"{layer.kind}() needs a sequence, but a dense() before it has flattened the "
                "window; put dense layers after the recurrent ones."
            )
    if layers[0].kind == "convlstm" and any(lay.kind in RECURRENT_KINDS for lay in layers[1:]):
        raise ConfigError(
            "convlstm() ends in a flat vector: follow it with dense, not a recurrent layer."
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
