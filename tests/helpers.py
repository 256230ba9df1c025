"""Constants and small helpers shared by the tests."""

from rnncast.training.loop import Stop

# Small enough to train in well under a second, large enough to learn the synthetic series.
TINY = dict(model="lstm", units=8, epochs=3, lookback=6, batch_size=16, seed=0)  # plain


class StopAfter(Stop):
    """Asks to stop after ``n`` batches have run: a deterministic point inside an epoch."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.calls, self.n = 0, n

    def is_set(self) -> bool:
        self.calls += 1
        return self.calls > self.n
