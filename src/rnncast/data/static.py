"""Static covariates of many series: one value per series (a store's size, a product's
category), the same on every date, so known for any future date.

A numeric column enters the network as it is; a categorical one as one 0/1 column per
category. Fed to a recurrent layer, whose input weights multiply them, a one-hot column
gives each category a learned vector: an embedding, without a layer of its own.

>>> import pandas as pd
>>> raw = pd.DataFrame({"id": ["a", "a", "b"], "size": [3.0, 3.0, 5.0], "kind": ["x", "x", "y"]})
>>> spec = static_spec([raw], "id", ("size", "kind"))
>>> spec
{'size': None, 'kind': ['x', 'y']}
>>> encode_static(raw, "id", spec)[1]
['size', 'kind=x', 'kind=y']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rnncast.errors import ConfigError, DataError

MAX_CATEGORIES = 100  # one-hot columns of one static covariate


def static_spec(
    frames: Sequence[pd.DataFrame], id: str, columns: Sequence[str]
) -> dict[str, list[str] | None]:
    """How each static column is encoded: None for numbers, else its categories (sorted)."""
    spec: dict[str, list[str] | None] = {}
    for name in columns:
        if any(name not in frame.columns for frame in frames):
            raise DataError(f"Unknown static column {name!r}; it is not in the data.")
        values = pd.concat([frame[name] for frame in frames], ignore_index=True)
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric:
            spec[name] = None
            continue
        categories = sorted(values.dropna().astype(str).unique().tolist())
        if len(categories) > MAX_CATEGORIES:
            raise ConfigError(
                f"Static column {name!r} has {len(categories)} categories, more than "
                f"{MAX_CATEGORIES}; use --embed to learn a vector per series instead."
            )
        spec[name] = categories
    return spec


def static_names(spec: dict[str, list[str] | None]) -> list[str]:
    """The network columns of a static spec: the numeric columns, then one per category."""
    return [
        name if cats is None else f"{name}={cat}"
        for name, cats in spec.items()
        for cat in cats or [None]
    ]


def encode_static(
    raw: pd.DataFrame, id: str, spec: dict[str, list[str] | None]
) -> tuple[pd.DataFrame, list[str]]:
    """``raw`` with the static columns encoded as numbers, checked to be given and constant
    within each series; returns the table and the encoded columns' names."""
    out = raw.copy()
    for name, cats in spec.items():
        if name not in raw.columns:
            raise DataError(f"The data has no static column {name!r}; the model needs it.")
        column = raw[name]
        if column.isna().any():
            row = int(np.argmax(column.isna().to_numpy()))
            raise DataError(
                f"Static column {name!r} is empty in row {row + 2} of the file (series "
                f"{raw[id].iloc[row]!r}); give every series its value."
            )
        counts = column.astype(str).groupby(raw[id].astype(str)).nunique()
        if (counts > 1).any():
            series = counts.index[int(np.argmax((counts > 1).to_numpy()))]
            raise DataError(
                f"Static column {name!r} changes within series {series!r}; a static covariate "
                "has one value per series (use --known for values that change)."
            )
        if cats is None:
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.isna().any():
                raise DataError(f"Static column {name!r} was numeric when fitted; it is not now.")
            out[name] = numbers.astype("float64")
            continue
        text = column.astype(str)
        unknown = sorted(set(text) - set(cats))
        if unknown:
            raise DataError(
                f"Static column {name!r} holds {unknown[0]!r}, a category the model was not "
                f"fitted on ({', '.join(cats[:5])}{', ...' if len(cats) > 5 else ''})."
            )
        for cat in cats:
            out[f"{name}={cat}"] = (text == cat).astype("float64")
    return out, static_names(spec)
