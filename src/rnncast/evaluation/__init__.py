"""Metrics in original units, naive baselines, and the two evaluation modes."""
