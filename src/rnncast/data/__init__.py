"""Data in: reading tables, preparing series, splitting, scaling and windowing."""
