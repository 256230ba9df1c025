#!/usr/bin/env bash
# rnncast beside Keras, a plain PyTorch loop, Darts and NeuralForecast, in one run of the team's
# harness (../shared/bench, see its README). The team's copy stays untouched (it is read-only):
# the harness is copied to a scratch folder, e_rnncast.py linked into that copy's systems/,
# /tmp/venv-rnncast built from this checkout (torch 2.13.0 CPU first), run_all.sh run there
# with whatever REPS / TASKS / SYSTEMS / EPOCHS you pass, and its results copied into
# benchmarks/results/. The peers' venvs come from the harness's own setup_envs.sh.
#   bash benchmarks/peers.sh                                  # everything, 3 repeats (~1.5 h)
#   REPS=1 TASKS="2 3" bash benchmarks/peers.sh               # workloads A and B, once
#   SYSTEMS="b_torch e_rnncast" TASKS=3 bash benchmarks/peers.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
BENCH="${BENCH_DIR:-$(dirname "$REPO")/shared/bench}"
WORK="${BENCH_WORK:-/tmp/rnncast-bench}"
[ -f "$BENCH/run_all.sh" ] || { echo "no harness at $BENCH; set BENCH_DIR"; exit 1; }
VENV=/tmp/venv-rnncast
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q torch==2.13.0
fi
"$VENV/bin/pip" install -q torch==2.13.0 "$REPO" psutil
missing=()
for s in ${SYSTEMS:-a_keras b_torch c_darts d_neuralforecast}; do
  [ "$s" = e_rnncast ] && continue  # built above
  venv=$(grep -m1 '^# bench-venv:' "$BENCH/systems/$s.py" | awk '{print $3}')
  [ -x "$venv/bin/python" ] || missing+=("$s ($venv)")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing venvs: ${missing[*]}; run: bash $BENCH/setup_envs.sh"; exit 1
fi
if [ -z "${VARIANT:-}" ]; then  # a variant run (see run_all.sh) adds to the last run's results
  rm -rf "$WORK" && mkdir -p "$WORK" && cp -r "$BENCH/." "$WORK/" && chmod -R u+w "$WORK"
  rm -f "$WORK"/results/*  # only this run's results come back
fi
"$VENV/bin/pip" freeze > "$WORK/env/freeze-rnncast.txt"
ln -sf "$HERE/e_rnncast.py" "$WORK/systems/e_rnncast.py"
(cd "$WORK" && bash run_all.sh)
mkdir -p "$HERE/results"
cp "$WORK"/results/* "$WORK/env/freeze-rnncast.txt" "$HERE/results/"
echo "results copied to $HERE/results/"
