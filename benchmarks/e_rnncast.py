# bench-venv: /tmp/venv-rnncast
"""rnncast in the team's side-by-side LSTM harness (../shared/bench), by its JSON contract.

Run by ``run_all.sh`` as ``<venv>/bin/python systems/e_rnncast.py --task N --seed S``
(``benchmarks/peers.sh`` links it there and builds the venv), or directly from this checkout
with ``BENCH_DIR`` pointing at the harness. rnncast is driven through its normal API only:
``Forecaster(...).fit`` on the raw CSV (dates parsed, split, min-max fitted on training rows,
windows, training, then its own scoring against naive baselines, all inside the timed call),
``Forecaster.predict`` on the harness's test windows in original units, and
``Forecaster.predict`` on one window for the latency.
"""

import os
import pathlib
import sys


def _bench_dir() -> pathlib.Path:
    here = pathlib.Path(__file__).absolute().parent  # not resolved: systems/ when linked there
    for candidate in (
        os.environ.get("BENCH_DIR"),
        here.parent,
        here.parents[1] / "shared" / "bench",
        here.parents[2] / "shared" / "bench",
    ):
        if candidate and (pathlib.Path(candidate) / "common.py").is_file():
            return pathlib.Path(candidate)
    sys.exit("The team's harness was not found: set BENCH_DIR to the folder holding common.py.")


sys.path.insert(0, str(_bench_dir()))
import common as C  # noqa: E402

args = C.parse_args()
C.pin_thread_env(args.threads)
C.seed_everything(args.seed)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

import rnncast  # noqa: E402
from rnncast import Forecaster  # noqa: E402

torch.set_num_threads(args.threads)

SPECS = {
    1: "lstm(64) > dense",
    2: " > ".join(["lstm(50) > dropout(0.2)"] * 4) + " > dense",
    3: "lstm(64) > dense",
}
task = C.Task(args.task)
settings = dict(
    model=SPECS[args.task],
    lookback=C.LOOKBACK,
    horizon=C.HORIZON,
    epochs=args.epochs,
    batch_size=C.BATCH,
    lr=C.LR,
    optimizer="adam",
    loss="mse",
    scaler="minmax",
    test_size=C.TEST_FRACTION,
    val_size=0,  # the harness trains on every training window, without early stopping
    clip_norm=0,  # and without gradient clipping
    seed=args.seed,
    device=os.environ.get("RNNCAST_BENCH_DEVICE", "cpu"),  # benchmarks/speed.py --device cuda
)
if args.task in (1, 2):
    frame, fit = pd.read_csv(C.DATA / "msft.csv"), dict(target="Close", date="Date")
else:
    frame, fit = pd.read_csv(C.DATA / "us_employment.csv"), dict(target="y", date="ds")
    fit["id"] = "unique_id"

epoch_seconds: list[float] = []
last = [C.time.perf_counter()]


def on_epoch(epoch, train_loss, val_loss):
    now = C.time.perf_counter()
    epoch_seconds.append(round(now - last[0], 3))
    last[0] = now


f = Forecaster(**settings)
with C.Timer() as t_train:
    last[0] = C.time.perf_counter()
    f.fit(frame, on_epoch=on_epoch, **fit)

# The harness's test windows, in original units, through the normal predict call.
originals = [s.inverse(s.scaled) for s in task.series]
groups = [np.flatnonzero(task.test_sid == k) for k in range(len(task.series))]
pred = np.empty(task.n_test_windows)
with C.Timer() as t_pred:
    for k, rows in enumerate(groups):
        s = task.series[k]
        targets = np.arange(s.n_train, len(s.y))
        idx = targets[:, None] + np.arange(-C.LOOKBACK, 0)[None, :]
        windows = originals[k][idx][..., None]  # (N, L, 1)
        series = s.uid if args.task == 3 else None
        pred[rows] = f.predict(windows, series=series)[:, 0, 0]
pred_scaled = np.concatenate(
    [(pred[rows] - task.series[k].lo) / (task.series[k].hi - task.series[k].lo)
     for k, rows in enumerate(groups)]
)  # fmt: skip

one = originals[-1][-C.LOOKBACK :, None]
one_series = task.series[-1].uid if args.task == 3 else None
latency = C.median_latency_ms(lambda: f.predict(one, series=one_series))

h = f.history_
steady = sorted(epoch_seconds[1:])[len(epoch_seconds[1:]) // 2] if len(epoch_seconds) > 1 else None
C.emit(
    "rnncast",
    args,
    task,
    train_seconds=t_train.seconds,
    epochs=h.epochs_run,
    train_windows=h.train_windows,
    predict_seconds=t_pred.seconds,
    single_forecast_ms=latency,
    pred_scaled=pred_scaled,
    versions=dict(rnncast=rnncast.__version__, torch=torch.__version__),
    epoch_seconds=epoch_seconds,
    steady_seconds_per_epoch=steady,
    torch_threads=torch.get_num_threads(),
    final_train_loss=h.train_loss[-1],
    training_seconds=round(h.seconds, 4),
    notes=(
        "Forecaster.fit on the raw CSV (parse, split, train-only min-max, windows, train, score "
        "vs naive; per-series split rounds 20% to the nearest row); predict: Forecaster.predict "
        "on the harness's test windows in original units"
        + (", one call per series" if args.task == 3 else ", one call")
    ),
)
