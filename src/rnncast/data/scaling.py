"""Per-column affine scalers, fitted on training rows only and stored as plain JSON.

Every kind is ``scaled = (x - shift) / scale`` per column, so the inverse of any one column
(the target) is exact whatever other columns are present.

>>> import numpy as np
>>> s = Scaler("minmax").fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
>>> s.transform(np.array([[1.0, 20.0]])).tolist()
[[0.5, 0.5]]
>>> s.inverse(np.array([0.5]), column=1).tolist()
[20.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnncast.data import seasonal
from rnncast.errors import NotFittedError, RunError

KINDS = ("minmax", "standard", "none", "mase")


class Scaler:
    """Scale each column by ``(x - shift_) / scale_``; constant columns get ``scale_ = 1``.

    With many series each series has its own row of ``shift_`` and ``scale_`` (shape (G, F)),
    fitted on that series' training rows; ``group`` picks the row.

    Args:
        kind: ``minmax`` (to [0, 1] on the training rows), ``standard`` (zero mean, unit
            variance), ``none``, or ``mase``: divided by the mean absolute error of the
            seasonal naive forecast on the training rows (no shift), so that an absolute
            error in scaled units is MASE's, and series of any size weigh alike.
        season: The season of ``mase``'s naive forecast (1: the last value).
    """

    def __init__(self, kind: str = "minmax", season: int = 1) -> None:
        if kind not in KINDS:
            raise ValueError(f"`scaler` must be one of {', '.join(KINDS)}; got {kind!r}.")
        self.kind, self.season = kind, season

    def fit(self, rows: np.ndarray) -> Scaler:
        """Learn shift and scale from ``rows`` of shape (T, F): the training rows only."""
        return self.fit_groups([rows])

    def fit_groups(self, groups: list[np.ndarray]) -> Scaler:
        """One shift and scale per series, each from that series' training rows (T_g, F)."""
        pairs = [self._shift_scale(np.asarray(rows, dtype=np.float64)) for rows in groups]
        self.shift_ = np.stack([p[0] for p in pairs])  # (G, F)
        self.scale_ = np.stack([p[1] for p in pairs])
        return self

    def share(self, columns: list[int], rows: np.ndarray) -> Scaler:
        """Give ``columns`` one shift and scale for every series, from ``rows`` (N, len
        (columns)) of all series: a column constant within each series (a static covariate)
        would otherwise scale to 0 in every one of them."""
        shift, scale = self._shift_scale(np.asarray(rows, dtype=np.float64))
        self.shift_[:, columns], self.scale_[:, columns] = shift, scale
        return self

    def _shift_scale(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.kind == "minmax":
            shift, scale = rows.min(axis=0), rows.max(axis=0) - rows.min(axis=0)
        elif self.kind == "standard":
            shift, scale = rows.mean(axis=0), rows.std(axis=0)
        elif self.kind == "mase":
            m = self.season if len(rows) > self.season else 1
            shift = np.zeros(rows.shape[1])
            scale = np.abs(rows[m:] - rows[:-m]).mean(axis=0) if len(rows) > m else shift + 1
        else:
            shift, scale = np.zeros(rows.shape[1]), np.ones(rows.shape[1])
        return shift, np.where(scale > 0, scale, 1.0)  # a constant column must not divide by 0

    # -- seasonality, removed before the scaling (see rnncast.data.seasonal) -----------------
    def fit_seasons(
        self, groups: list[np.ndarray], phases: list[int], columns: list[int], season: int
    ) -> Scaler:
        """Seasonal indices (G, m, F) of ``columns``, each series' from its training rows
        (T_g, F) whose first row has phase ``phases[g]``; other columns keep 1s. Call before
        :meth:`fit_groups`, which then sees the rows with the season removed."""
        out = np.ones((len(groups), season, groups[0].shape[1]))
        for g, (rows, phase) in enumerate(zip(groups, phases, strict=True)):
            out[g][:, columns] = seasonal.fit_indices(rows[:, columns], season, phase)
        self.seasons_ = out
        return self

    @property
    def seasonal(self) -> bool:
        return getattr(self, "seasons_", None) is not None

    def remove_season(
        self, values: np.ndarray, group: int, phase: int, columns: list[int] | None = None
    ) -> np.ndarray:
        """Rows (..., T, F) whose first has phase ``phase``, divided by their seasonal
        indices; ``columns``: the frame's columns that ``values`` holds (default: all)."""
        values = np.asarray(values, dtype=np.float64)
        if not self.seasonal:
            return values
        m, seasons = self.seasons_.shape[1], self.seasons_[group]
        seasons = seasons if columns is None else seasons[:, columns]
        return values / seasons[(phase + np.arange(values.shape[-2])) % m]

    def add_season(
        self, values: np.ndarray, columns: list[int], group: int, phases: np.ndarray
    ) -> np.ndarray:
        """Values (..., C) of ``columns`` times their seasonal indices; ``phases`` broadcast
        to ``values.shape[:-1]``."""
        if not self.seasonal:
            return values
        m = self.seasons_.shape[1]
        factors = self.seasons_[group][:, columns]  # (m, C)
        return values * factors[np.asarray(phases) % m]

    def transform(self, values: np.ndarray, group: int = 0) -> np.ndarray:
        """Scale an array of shape (..., F) with series ``group``'s statistics."""
        self._check_fitted()
        return (np.asarray(values, dtype=np.float64) - self.shift_[group]) / self.scale_[group]

    def inverse(self, values: np.ndarray, column: int | list[int], group: int = 0) -> np.ndarray:
        """Undo the scaling of one column (or columns along the last axis) of ``values``."""
        self._check_fitted()
        shift, scale = self.shift_[group][column], self.scale_[group][column]
        return np.asarray(values, dtype=np.float64) * scale + shift

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state; floats round-trip exactly through Python's repr."""
        self._check_fitted()
        out = {"kind": self.kind, "shift": self.shift_.tolist(), "scale": self.scale_.tolist()}
        if self.seasonal:
            out["seasons"] = self.seasons_.tolist()
        return out

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> Scaler:
        """Rebuild from :meth:`to_dict` output, checking every field."""
        try:
            scaler = cls(state["kind"])
            shift = np.asarray(state["shift"], dtype=np.float64)
            scale = np.asarray(state["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise RunError(
                f"Scaler state is malformed ({exc}); the run directory is damaged."
            ) from None
        if shift.shape != scale.shape or shift.ndim != 2 or not np.all(scale > 0):
            raise RunError("Scaler state is malformed; the run directory is damaged.")
        scaler.shift_, scaler.scale_ = shift, scale
        if "seasons" in state:
            try:
                seasons = np.asarray(state["seasons"], dtype=np.float64)
            except (TypeError, ValueError):
                seasons = np.zeros(0)
            g, f = shift.shape
            positive = np.isfinite(seasons).all() and (seasons > 0).all()
            if seasons.ndim != 3 or seasons.shape[::2] != (g, f) or not positive:
                raise RunError("Seasonal indices are malformed; the run directory is damaged.")
            scaler.seasons_ = seasons
        return scaler

    def _check_fitted(self) -> None:
        if not hasattr(self, "shift_"):
            raise NotFittedError("This Scaler is not fitted yet; call fit(training_rows) first.")
