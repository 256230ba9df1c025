"""Studies built on many fits: comparisons and backtests, tuning, exploring data."""
