"""rnncast: honest time-series forecasting with recurrent neural networks.

>>> import rnncast
>>> sorted(rnncast.datasets.names())[:1]
['airline']
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from rnncast.version import __version__

__all__ = ["Forecaster", "FitConfig", "datasets", "RnncastError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from rnncast import datasets
    from rnncast.config import FitConfig
    from rnncast.errors import RnncastError
    from rnncast.forecasting.forecaster import Forecaster

# Imported on first use so that `import rnncast` (and `rnncast --help`) does not load PyTorch.
_LAZY = {
    "Forecaster": ("rnncast.forecasting.forecaster", "Forecaster"),
    "FitConfig": ("rnncast.config", "FitConfig"),
    "RnncastError": ("rnncast.errors", "RnncastError"),
    "datasets": ("rnncast.datasets", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'rnncast' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = import_module(module_name)
    return module if attr is None else getattr(module, attr)
