"""The package version, written into every run and checkpoint."""

__version__ = "0.1.0"
