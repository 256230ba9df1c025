"""The CUDA path: fit, predict, save and load on a GPU. Skipped where there is none."""

import numpy as np
import pytest
import torch

from helpers import TINY
from rnncast import Forecaster

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


def test_fit_predict_save_load_on_cuda(tmp_path, daily_frame):
    f = Forecaster(**TINY, device="cuda").fit(daily_frame, target="y", features="x")
    assert next(f.predictor_.net.parameters()).is_cuda
    window = daily_frame[["x", "y"]].to_numpy()[-TINY["lookback"] :]
    on_gpu = f.predict(window)
    g = Forecaster.load(f.save(str(tmp_path / "run")))
    np.testing.assert_allclose(g.predict(window), on_gpu, rtol=1e-5)
    cpu = Forecaster(**TINY, device="cpu").fit(daily_frame, target="y", features="x")
    assert cpu.metrics_["test"]["one_step"]["model"]["rmse"] == pytest.approx(
        f.metrics_["test"]["one_step"]["model"]["rmse"], rel=0.2
    )  # the same training, up to the GPU's own rounding


def test_resume_on_cuda(tmp_path, csv_file):
    import os
    import signal

    from rnncast.persistence.checkpoint import TrainingInterrupted

    def stop(epoch, *_):
        if epoch == 1:
            os.kill(os.getpid(), signal.SIGINT)

    path = str(tmp_path / "run")
    settings = dict(TINY, device="cuda")
    with pytest.raises(TrainingInterrupted):
        Forecaster(**settings).fit(csv_file, target="y", on_epoch=stop, checkpoint=path)
    resumed = Forecaster.resume(path)
    assert resumed.history_.epochs_run == TINY["epochs"]
