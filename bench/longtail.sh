#!/usr/bin/env bash
# docs/experiments.md, "Long tails": Fashion-MNIST made long-tailed (imbalance 100), zoo:cnn-small
# trained with cross-entropy, with LDAM + DRW, and with LDAM + DRW + SAM; then per class the
# training count, the final test accuracy and the extremes of the class's loss Hessian (on the
# balanced test set). Rangwani et al. (2022) find large negative λ_min (saddles) for the tail
# classes, which SAM reduces. Prints one Markdown table per set-up.
# CONFIGS, SAMPLES, EPOCHS, DRW_EPOCH, HESSIAN_SAMPLES trade time for fidelity.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-build/app/flatland-cli}
project=${PROJECT:-longtail.h5}
samples=${SAMPLES:-20000}
epochs=${EPOCHS:-8}
drw=${DRW_EPOCH:-6}
hessian_samples=${HESSIAN_SAMPLES:-2000}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -f "$project"

config_args() {
  case "$1" in
    ce) echo "--optimizer sgd" ;;
    ldam-drw) echo "--optimizer sgd --loss ldam --drw-epoch $drw" ;;
    ldam-drw-sam) echo "--optimizer sam --rho 0.05 --loss ldam --drw-epoch $drw" ;;
    *) echo "unknown set-up $1" >&2; exit 2 ;;
  esac
}

for config in ${CONFIGS:-ce ldam-drw ldam-drw-sam}; do
  # shellcheck disable=SC2046
  "$cli" --json train --model zoo:cnn-small --data fashion-mnist:train --samples "$samples" --imbalance 100 \
    --test-data fashion-mnist:test --epochs "$epochs" --batch-size 128 --lr 0.05 --seed 1 \
    $(config_args "$config") --out "$project" --run "$config" > "/tmp/longtail-$config-train.json"
  "$cli" --json hessian --model "$project:/runs/$config" --data fashion-mnist:test --samples "$hessian_samples" \
    --per-class --top-k 1 --bottom-k 1 --seed 1 --out "$project" --name "hessian-$config" > "/tmp/longtail-$config-hessian.json"
  "$cli" --json info "$project" > "/tmp/longtail-info.json"
  python3 - "$config" /tmp/longtail-info.json "/tmp/longtail-$config-train.json" "/tmp/longtail-$config-hessian.json" <<'PY'
import json, sys
config, info, train, hessian = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
counts = next(r for r in info["runs"] if r["name"] == config)["class_counts"]
accuracy = train["epochs"][-1]["per_class_accuracy"]
print(f"\n**{config}**: final test accuracy {train['epochs'][-1]['test_accuracy']:.4f}\n")
print("| class | training samples | test accuracy | λ_max | λ_min |")
print("|---|---|---|---|---|")
for c in hessian["per_class"]:
    k = c["class"]
    print(f"| {c['name']} | {counts[k]} | {accuracy[k]:.3f} | {c['top_eigenvalues'][0]:.3f} | {c['bottom_eigenvalues'][0]:.3f} |")
PY
done
