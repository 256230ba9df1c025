#!/usr/bin/env bash
# The GPU check, for a session lent a GPU machine (run there from the repository root, about
# 7 minutes): the CUDA tests, the whole suite on the GPU (the default device is auto, so every
# test that fits a model trains it there; -n auto: one worker per core), the default recipe's
# cost on M3 monthly on the GPU and on the machine's CPU cores, and the speed workloads on cuda.
# Prepared here first:
#   printf '/.bench/\n/.gpu/\n' >> .git/info/exclude                # /.whl/ is in .gitignore
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform any -d .whl \
#     holidays optuna alembic colorlog Mako SQLAlchemy greenlet   # what that image lacks
#   cp -r ../shared/bench .bench                                  # the speed harness's data
#   mkdir .gpu && $ACCURACY_VENV/bin/python benchmarks/accuracy_stats.py m3-monthly validate \
#     .gpu/m3m.json naive                                         # M3 monthly's training parts
# then run this script with .whl, .bench and .gpu carried. Outputs land in $OUT (or ./gpu-out).
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
timeout 90 python3 -m pytest -p no:cacheprovider -n 0 -q -rs tests/runtime/test_cuda.py 2>&1 | tail -5
echo "== the whole suite on the GPU"
SECONDS=0
timeout 200 python3 -m pytest -q --timeout 150 -rfE --tb=short -W ignore::UserWarning \
    >"$OUT/suite.txt" 2>&1
echo "suite: ${SECONDS} s on $(nproc) cores" | tee -a "$OUT/suite.txt"
grep -E "^(FAILED|ERROR)|passed|failed" "$OUT/suite.txt" | tail -30
echo "== the default recipe on M3 monthly (1,428 series)"
for device in cpu cuda; do  # on cuda it ran past 150 s on an H200 (docs/performance.md)
    timeout 150 python3 benchmarks/accuracy.py m3-monthly --cost --device $device \
        --series .gpu/m3m.json >"$OUT/cost-$device.txt" 2>&1 \
        || echo "m3-monthly on $device: stopped or failed after 150 s" >>"$OUT/cost-$device.txt"
    tail -3 "$OUT/cost-$device.txt"
done
echo "== speed on cuda"
BENCH_DIR=$PWD/.bench timeout 100 python3 benchmarks/speed.py --device cuda --reps 1 2>&1 \
    | tee "$OUT/speed_cuda.txt"
