"""One shared harness: every architecture x every window shape through fit, predict, save and
load, on tiny data, checking shapes and that the training loss goes down."""

import numpy as np
import pandas as pd
import pytest

from rnncast import Forecaster

ARCHITECTURES = {
    "dense": "dense(16, relu) > dense",
    "rnn": "rnn(8) > dense",
    "stacked-rnn-relu": "rnn(8, relu) > rnn(8, relu) > dense",
    "lstm": "lstm(8) > dense",
    "stacked-lstm": "lstm(8) > dropout(0.1) > lstm(8) > dropout(0.1) > dense",
    "gru": "gru(8) > dense",
    "stacked-gru": "gru(8) > gru(8) > dense",
    "mixed": "lstm(8) > dropout(0.1) > lstm(8) > gru(4) > dense",
    "bilstm": "bilstm(8) > dense",
    "bigru-sum": "bigru(8, merge=sum) > dense",
    "stacked-bilstm": "bilstm(4) > bilstm(4) > dense",
    "cnn-lstm": "cnn(filters=8, kernel=2, sub=2, pool=2) > lstm(8) > dense",
    "convlstm": "convlstm(filters=4, kernel=2, sub=2) > dense",
    "seq2seq-lstm": "seq2seq(8) > dense",
    "seq2seq-gru": "seq2seq(8, cell=gru) > dense",
    "relu-heads": "lstm(8, relu, orthogonal=true, forget_bias=1) > dense(8, relu) > dense",
}

# name: (fit keyword arguments, Forecaster settings)
SHAPES = {
    "univariate": ({"target": "y"}, {}),
    "inputs-to-target": ({"target": "y", "features": ["x1", "x2"]}, {}),
    "inputs-only": ({"target": "y", "features": ["x1", "x2"]}, {"target_history": False}),
    "parallel": ({"target": "a,b,c"}, {}),
    "vector-multistep": ({"target": "y"}, {"horizon": 3}),
    "encoder-decoder": ({"target": "y"}, {"horizon": 3, "strategy": "seq2seq"}),
    "recursive": ({"target": "y"}, {"horizon": 3, "strategy": "recursive"}),
    "inputs-multistep": ({"target": "y", "features": ["x1", "x2"]}, {"horizon": 3}),
    "parallel-multistep": ({"target": ["a", "b", "c"]}, {"horizon": 3}),
    "step-set": ({"target": "y"}, {"horizon": (1, 3)}),
}


def _valid(arch: str, shape: str) -> bool:
    seq2seq = arch.startswith("seq2seq")
    if shape == "encoder-decoder":
        return seq2seq  # the shape is the architecture
    return not (seq2seq and shape == "recursive")  # an encoder-decoder emits its own steps


CASES = [(a, s) for a in ARCHITECTURES for s in SHAPES if _valid(a, s)]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    t = np.arange(90.0)
    x1, x2 = np.sin(t / 5), np.cos(t / 7)
    return pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=90, freq="D"),
            "x1": x1,
            "x2": x2,
            "y": x1 + x2,
            "a": np.sin(t / 4),
            "b": 0.5 * np.cos(t / 6) + 2,
            "c": t / 90,
        }
    )


@pytest.mark.parametrize("arch, shape", CASES)
def test_every_architecture_and_window_shape(arch, shape, frame, tmp_path):
    fit_args, settings = SHAPES[shape]
    f = Forecaster(
        model=ARCHITECTURES[arch],
        lookback=8,
        epochs=6,
        lr=0.01,
        batch_size=16,
        test_size=12,
        val_size=0,
        seed=0,
        **settings,
    )
    f.fit(frame, **fit_args)
    losses = f.history_.train_loss
    assert losses[-1] < losses[0], losses
    n_steps, n_targets = len(f.config_.steps), len(f.data_.targets)
    window = frame[[f.data_.columns[i] for i in f.predictor_.inputs]].to_numpy()[-8:]
    prediction = f.predict(window)
    assert prediction.shape == (1, n_steps, n_targets)
    assert np.isfinite(prediction).all()
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    assert np.array_equal(g.predict(window), prediction)
    forecast = g.forecast()
    assert forecast.shape == (n_steps, 1 + n_targets)
    assert f.evaluate()["test"]["one_step"]["model"]["rmse"] > 0
