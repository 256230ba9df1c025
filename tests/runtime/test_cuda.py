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


def test_the_default_recipe_on_cuda_forecasts_as_its_weights_do_on_a_cpu():
    """The default recipe (trend, window norm, ensemble) trains on a GPU; its forecasts equal
    the same weights' on a CPU to float32 rounding (cuDNN kept off TF32), whatever the batch
    they run in, and training leaves no warning about cuDNN's weight packing."""
    import copy
    import warnings

    from rnncast import datasets

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = Forecaster(members=2, epochs=3, seed=0, device="cuda")
        f.fit(datasets.load("airline"), target="passengers")
        f.forecast(12)
    assert not [w for w in caught if "contiguous" in str(w.message)]
    gpu = f.predictor_
    cpu = copy.copy(gpu)
    cpu.net, cpu.device = copy.deepcopy(gpu.net).cpu(), torch.device("cpu")
    x = np.random.default_rng(0).uniform(0.2, 0.8, size=(64, gpu.lookback, len(gpu.inputs)))
    on_gpu = gpu.run(x.astype(np.float32))
    np.testing.assert_allclose(on_gpu, cpu.run(x.astype(np.float32)), rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(gpu.run(x[:1].astype(np.float32)), on_gpu[:1], rtol=2e-5, atol=2e-6)


def test_members_on_cpu_after_a_gpu_fit_train_in_turn(daily_frame):
    """After a fit on the GPU, autograd's GPU threads run in this process, and a forked
    worker that trains fails (PyTorch's 'autograd's threading ... fork-based
    multiprocessing'): members asked to train side by side on the CPU train in turn and say
    why."""
    Forecaster(**TINY, device="cuda").fit(daily_frame, target="y")
    cpu = Forecaster(**TINY, device="cpu", members=2, jobs=2).fit(daily_frame, target="y")
    assert cpu.history_.processes == 1 and "has used the GPU" in cpu.history_.jobs_unused
