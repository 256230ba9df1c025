"""Networks run in full float32 on a GPU.

PyTorch lets cuDNN's recurrent and convolution kernels multiply float32 in TensorFloat-32 by
default (``torch.backends.cudnn.allow_tf32``): inputs rounded to 10 bits of
mantissa. On an H200 with that default, GPU forecasts of small models differed from their
ONNX export (run on a CPU) by up to 3e-3 of their value, and a window's forecast changed with
the batch it ran in (2.6e-4): about TF32's rounding, and far above float32's (not yet
measured again with TF32 off; ``tests/runtime/test_cuda.py`` holds it to 2e-5). The
networks here are small and their speed on a GPU is bound by kernel launches, not by
arithmetic, so TF32 buys nothing: training and forecasting run with IEEE float32 in cuDNN and
restore the caller's setting after.
Matrix products outside cuDNN follow ``torch.set_float32_matmul_precision`` (by default full
float32 already).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def full_float32(device: torch.device) -> Iterator[None]:
    """Within the block, cuDNN computes float32 in IEEE float32 on ``device`` (nothing changes
    off a GPU)."""
    if device.type != "cuda":
        yield
        return
    cudnn = torch.backends.cudnn
    before = cudnn.allow_tf32  # the API that PyTorch 2.4 and 2.13 both read and write
    cudnn.allow_tf32 = False
    try:
        yield
    finally:
        cudnn.allow_tf32 = before
