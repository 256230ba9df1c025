"""Training a network on windows: the loop, the optimizers, the progress display."""
