#!/usr/bin/env bash
# docs/experiments.md, "Which measure predicts generalisation": a grid of zoo:cnn-small runs on a
# small Fashion-MNIST subset over learning rate, batch size, optimizer (SGD or SAM) and label
# noise, then `flatland-cli sharpness --runs …`: every sharpness measure of every run and its
# Kendall tau with the generalisation gap (train − test accuracy on the clean training subset).
# About 30 minutes on two CPU cores with the defaults; SAMPLES, EPOCHS, LRS, BATCHES, OPTIMIZERS,
# NOISES and MEASURE_SAMPLES trade time for fidelity.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-build/app/flatland-cli}
project=${PROJECT:-generalization.h5}
samples=${SAMPLES:-2000}
epochs=${EPOCHS:-6}
measure_samples=${MEASURE_SAMPLES:-1000}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -f "$project"

runs=()
for lr in ${LRS:-0.02 0.1}; do
  for batch in ${BATCHES:-32 256}; do
    for optimizer in ${OPTIMIZERS:-sgd sam}; do
      for noise in ${NOISES:-0 0.2}; do
        run="lr${lr}-b${batch}-${optimizer}-noise${noise}"
        extra=()
        [ "$optimizer" = sam ] && extra=(--rho 0.05)
        "$cli" --json train --model zoo:cnn-small --data fashion-mnist:train --samples "$samples" \
          --test-data fashion-mnist:test --epochs "$epochs" --batch-size "$batch" --lr "$lr" --seed 1 \
          --label-noise "$noise" --optimizer "$optimizer" "${extra[@]}" --out "$project" --run "$run" > /dev/null
        runs+=("$run")
      done
    done
  done
done
list=$(IFS=,; echo "${runs[*]}")
"$cli" sharpness --runs "$list" --data fashion-mnist:train --samples "$measure_samples" \
  --test-data fashion-mnist:test --rho 0.05 --sigma 0.01 --draws 5 --seed 1 --out "$project" --name sweep
