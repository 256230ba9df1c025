"""Every network runs wherever its parameters are: nothing inside makes a tensor on the CPU.

PyTorch's ``meta`` device stands in for a GPU here: a tensor made without ``device=`` lands on
the CPU, and mixing it with meta tensors fails just as mixing it with CUDA ones does (this
caught the column replacement under the default recipe's trend, which broke every default fit
on a GPU). The real GPU path is tests/runtime/test_cuda.py, run where a GPU is.
"""

import pandas as pd
import pytest
import torch

from rnncast import Forecaster, datasets
from rnncast.runtime.precision import full_float32

QUICK = dict(epochs=1, seed=0, horizon=3, device="cpu")
MODELS = [
    dict(model="auto", members=2),  # trend, window norm, deseason, an ensemble
    dict(model="es > lstm(4) > lstm(4, dilation=2) > dense"),  # smoothing, dilation
    dict(model="gru(4) > dense", quantiles=(0.1, 0.5, 0.9)),
    dict(model="seq2seq(4) > dense", lookback=12),
    dict(model="cnn(filters=2, kernel=2, sub=2, pool=2) > lstm(4) > dense", lookback=12),
    dict(model="convlstm(filters=2, kernel=2, sub=3) > dense", lookback=12),
    dict(model="bilstm(4) > dense", lookbacks=(6, 12), members=2),
]


def _panel() -> pd.DataFrame:
    frame = datasets.load("airline")
    half = frame.assign(passengers=frame["passengers"] / 2)
    return pd.concat([frame.assign(id="a"), half.assign(id="b")], ignore_index=True)


@pytest.mark.parametrize("settings", MODELS, ids=lambda s: s["model"][:20])
@pytest.mark.parametrize("many", [False, True], ids=["one", "panel"])
def test_the_network_runs_on_another_device(settings, many):
    data = _panel() if many else datasets.load("airline")
    f = Forecaster(**QUICK, **settings).fit(data, target="passengers", id="id" if many else None)
    p = f.predictor_
    net = p.net.to("meta")
    x = torch.zeros(5, p.lookback, len(p.inputs), device="meta")
    series = torch.zeros(5, dtype=torch.long, device="meta")
    out = net(x, series)
    assert out.device.type == "meta" and out.shape[0] == 5
    if p.quantiles:
        assert net.every(x, series).shape[-1] == len(p.quantiles)


def test_cudnn_runs_in_full_float32_inside_and_as_the_caller_had_it_after():
    cudnn = torch.backends.cudnn
    before = cudnn.allow_tf32
    with full_float32(torch.device("cuda")):
        assert cudnn.allow_tf32 is False
    assert cudnn.allow_tf32 == before
    with full_float32(torch.device("cpu")):
        assert cudnn.allow_tf32 == before  # nothing changes off a GPU
