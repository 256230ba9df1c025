"""The size of a validation or test part: a fraction, a row count or a start date.

Kept free of pandas so that reading settings (and ``rnncast --help``) stays quick.
"""

from __future__ import annotations

from typing import Any

from rnncast.errors import ConfigError, SettingTypeError

Size = float | int | str  # a fraction, a row count or a date


def parse_size(value: Any, name: str) -> Size:
    """Normalise a split size: '0.2' -> 0.2, '200' -> 200, a date string stays a string.

    >>> [parse_size(v, "test_size") for v in ("0.25", "48", "2021-06-01")]
    [0.25, 48, '2021-06-01']
    """
    if isinstance(value, bool):
        raise SettingTypeError(
            f"`{name}` must be a fraction, a row count or a date, got {value!r}."
        )
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                if not text:
                    raise ConfigError(
                        f"`{name}` is empty; give a fraction, a count or a date."
                    ) from None
                return text
    if hasattr(value, "isoformat"):  # a date or Timestamp
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and value >= 1:
            return int(value)
        if not 0.0 <= value < 1.0:
            raise ConfigError(
                f"`{name}` must be a fraction in [0, 1), a row count or a date, got {value!r}."
            )
        return value
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"`{name}` must be >= 0, got {value}.")
        return value
    raise SettingTypeError(f"`{name}` must be a fraction, a row count or a date, got {value!r}.")
