"""Constants shared by the tests."""

# Small enough to train in well under a second, large enough to learn the synthetic series.
TINY = dict(units=8, epochs=3, lookback=6, batch_size=16, seed=0)
