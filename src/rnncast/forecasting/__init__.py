"""The facade and what it delegates to: a trained predictor, many series."""
