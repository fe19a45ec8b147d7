#!/usr/bin/env bash
# docs/experiments.md, "Are two minima connected?": zoo:cnn-small trained twice on Fashion-MNIST
# from different seeds (and once with SAM), then flatland-cli connect between the pairs with the
# straight line, a quadratic Bézier curve and a polygonal chain (Garipov et al. 2018). Prints one
# Markdown table of barriers (train loss: the path's largest minus the mean of its ends) and the
# largest test error along each path.
# SAMPLES, EPOCHS, CURVE_EPOCHS, POINTS trade time for fidelity.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-build/app/flatland-cli}
project=${PROJECT:-connectivity.h5}
samples=${SAMPLES:-10000}
epochs=${EPOCHS:-5}
curve_epochs=${CURVE_EPOCHS:-10}
points=${POINTS:-21}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -f "$project"

train() {  # NAME SEED OPTIMIZER
  "$cli" --json train --model zoo:cnn-small --data fashion-mnist:train --samples "$samples" \
    --test-data fashion-mnist:test --epochs "$epochs" --batch-size 128 --lr 0.05 --seed "$2" \
    --optimizer "$3" --out "$project" --run "$1" > "/tmp/connectivity-$1.json"
}
train sgd-1 1 sgd
train sgd-2 2 sgd
train sam-1 1 sam

echo "| pair | curve | linear barrier | curve barrier | largest test error, linear | largest test error, curve | seconds |"
echo "|---|---|---|---|---|---|---|"
for pair in "sgd-1 sgd-2" "sgd-1 sam-1"; do
  set -- $pair
  for curve in bezier polychain; do
    "$cli" --json connect --model "$project:/runs/$1" --to "$project:/runs/$2" \
      --data fashion-mnist:train --samples "$samples" --test-data fashion-mnist:test \
      --curve "$curve" --epochs "$curve_epochs" --points "$points" --out "$project" \
      --name "$1-$2-$curve" > "/tmp/connectivity-$1-$2-$curve.json"
    /usr/bin/python3 - "$project" "$1-$2-$curve" "/tmp/connectivity-$1-$2-$curve.json" <<'PY'
import json, sys
import h5py
project, name, doc = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
with h5py.File(project, "r") as f:
    a = f["analyses/" + name]
    linear_error = 1 - a["linear/test_accuracy"][()].min()
    curve_error = 1 - a["curve/test_accuracy"][()].min()
pair = name.rsplit("-", 1)[0]
print(f"| {pair} | {doc['curve']} | {doc['linear_barrier']:.4f} | {doc['curve_barrier']:.4f} | "
      f"{linear_error:.3f} | {curve_error:.3f} | {doc['seconds']:.0f} |")
PY
  done
done
