#!/usr/bin/env bash
# The GPU check, for a session lent a GPU machine (run there from the repository root, about
# 4 minutes): the CUDA tests, the speed workloads on cuda, and the whole suite with --device
# auto, so that every test that fits a model trains it on the GPU. Prepared here first:
#   echo /.whl/ >> .git/info/exclude; echo /.bench/ >> .git/info/exclude
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform any -d .whl \
#     holidays optuna alembic colorlog Mako SQLAlchemy greenlet   # what that image lacks
#   cp -r ../shared/bench .bench                                  # the speed harness's data
# then run this script with .whl and .bench carried. Outputs land in $OUT (or ./gpu-out).
set -u
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . >"$OUT/install.log" 2>&1 \
    || export PYTHONPATH=$PWD/src:/tmp/site
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >"$OUT/env.txt" 2>&1
python3 -c "import torch, sys; print(sys.version, torch.__version__, torch.backends.cudnn.version())" \
    >>"$OUT/env.txt" 2>&1
echo "== CUDA tests"
timeout 120 python3 -m pytest -p no:cacheprovider -q -rs tests/runtime/test_cuda.py 2>&1 | tail -5
echo "== speed"
BENCH_DIR=$PWD/.bench timeout 150 python3 benchmarks/speed.py --device cuda --reps 2 2>&1 \
    | tee "$OUT/speed_cuda.txt"
echo "== the whole suite on the GPU"
timeout 200 python3 -m pytest -p no:cacheprovider -n 14 -q --timeout 150 -rfE --tb=short \
    -W ignore::UserWarning >"$OUT/suite.txt" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed" "$OUT/suite.txt" | tail -40
