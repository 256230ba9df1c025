"""Where work runs: threads across CPU cores, processes across machines."""
