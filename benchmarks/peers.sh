#!/usr/bin/env bash
# rnncast beside Keras, a plain PyTorch loop, Darts and NeuralForecast, in one run of the team's
# harness (../shared/bench, see its README): builds /tmp/venv-rnncast from this checkout (torch
# 2.13.0 CPU first), links e_rnncast.py into the harness's systems/, then runs run_all.sh with
# whatever REPS / TASKS / SYSTEMS / EPOCHS you pass. The peers' venvs come from the harness's
# own setup_envs.sh.
#   bash benchmarks/peers.sh                                  # everything, 3 repeats (~1.5 h)
#   REPS=1 TASKS="2 3" bash benchmarks/peers.sh               # workloads A and B, once
#   SYSTEMS="b_torch e_rnncast" TASKS=3 bash benchmarks/peers.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
BENCH="${BENCH_DIR:-$(dirname "$REPO")/shared/bench}"
[ -f "$BENCH/run_all.sh" ] || { echo "no harness at $BENCH; set BENCH_DIR"; exit 1; }
VENV=/tmp/venv-rnncast
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q torch==2.13.0
fi
"$VENV/bin/pip" install -q torch==2.13.0 "$REPO" psutil
"$VENV/bin/pip" freeze > "$BENCH/env/freeze-rnncast.txt"
ln -sf "$HERE/e_rnncast.py" "$BENCH/systems/e_rnncast.py"
missing=()
for s in ${SYSTEMS:-a_keras b_torch c_darts d_neuralforecast}; do
  venv=$(grep -m1 '^# bench-venv:' "$BENCH/systems/$s.py" | awk '{print $3}')
  [ -x "$venv/bin/python" ] || missing+=("$s ($venv)")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing venvs: ${missing[*]}; run: bash $BENCH/setup_envs.sh"; exit 1
fi
trap 'rm -f "$BENCH/systems/e_rnncast.py"' EXIT  # leave the team's harness as it was
bash "$BENCH/run_all.sh"
