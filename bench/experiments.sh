#!/usr/bin/env bash
# Reproduces docs/experiments.md: SGD vs SAM vs HERO on Fashion-MNIST with a small CNN, under 0%
# and 60% symmetric label noise — final λ_max (Lanczos), best and final test accuracy, and the
# post-training quantization curve of each. Prints a Markdown table. Takes about an hour on two
# CPU cores; set EPOCHS/SAMPLES to trade time for fidelity, NOISES to run a subset of the noise
# levels (two shells with NOISES=0 and NOISES=0.6 and their own PROJECT use two cores at once),
# HEADER=0 to leave out the table's header.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-build/app/flatland-cli}
project=${PROJECT:-experiments.h5}
epochs=${EPOCHS:-5}
samples=${SAMPLES:-10000}
rm -f "$project"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

if [ "${HEADER:-1}" != 0 ]; then
  echo "| optimizer | label noise | best test acc | final test acc | λ_max (1k test samples) | PTQ acc per channel, 2…8 bits |"
  echo "|---|---|---|---|---|---|"
fi
for noise in ${NOISES:-0 0.6}; do
  for optimizer in sgd sam hero; do
    run="$optimizer-noise$noise"
    extra=()
    [ "$optimizer" = sam ] && extra=(--rho 0.05)
    [ "$optimizer" = hero ] && extra=(--rho 0.5 --hero-lambda 5)
    "$cli" --json train --model zoo:cnn-small --data fashion-mnist:train --samples "$samples" \
      --test-data fashion-mnist:test --epochs "$epochs" --batch-size 128 --lr 0.05 --seed 1 \
      --label-noise "$noise" --optimizer "$optimizer" "${extra[@]}" --out "$project" --run "$run" > "/tmp/$run-$epochs-train.json"
    best=$(json "max(e['test_accuracy'] for e in d['epochs'])" < "/tmp/$run-$epochs-train.json")
    final=$(json "d['epochs'][-1]['test_accuracy']" < "/tmp/$run-$epochs-train.json")
    lmax=$("$cli" --json hessian --model "$project:/runs/$run" --data fashion-mnist:test --samples 1000 \
      --top-k 1 --seed 1 | json "d['top_eigenvalues'][0]")
    ptq=$("$cli" --json quantize --model "$project:/runs/$run" --data fashion-mnist:test --bits 2-8 \
      --out "$project" --name "quantize-$run" | json "' / '.join(f'{a:.3f}' for a in d['per_channel']['test_accuracy'])")
    printf "| %s | %s | %.4f | %.4f | %.2f | %s |\n" "$optimizer" "$noise" "$best" "$final" "$lmax" "$ptq"
  done
done
