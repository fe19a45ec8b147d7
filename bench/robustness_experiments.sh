#!/usr/bin/env bash
# docs/experiments.md, "Input space and weight perturbations": zoo:cnn-small on Fashion-MNIST
# trained in several ways, then for each model the clean and adversarial accuracy (FGSM and
# PGD-l-inf in pixel units), the mean input-Hessian lambda_max and CURE value, the mean accuracy
# under noise corruptions, and weight-space sharpness (worst-case l2 loss increase, random
# filter-normalised loss increase, PAC-Bayes sigma). Prints a Markdown table.
# CONFIGS names the training set-ups (see `config_args`); EPOCHS, SAMPLES and TEST_SAMPLES trade
# time for fidelity.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-build/app/flatland-cli}
project=${PROJECT:-robustness-experiments.h5}
epochs=${EPOCHS:-3}
samples=${SAMPLES:-5000}
test_samples=${TEST_SAMPLES:-1000}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
rm -f "$project"

# The train options of each set-up.
config_args() {
  case "$1" in
    sgd) echo "--optimizer sgd" ;;
    sam) echo "--optimizer sam --rho 0.05" ;;
    pgd-at) echo "--optimizer sgd --robust pgd-at --adv-eps 0.1 --eps-units pixel" ;;
    trades) echo "--optimizer sgd --robust trades --adv-eps 0.1 --eps-units pixel" ;;
    noise-jsd) echo "--optimizer sgd --robust noise-jsd --eps-units pixel" ;;
    cure) echo "--optimizer sgd --robust cure --eps-units pixel" ;;
    sam-pgd-at) echo "--optimizer sam --rho 0.05 --robust pgd-at --adv-eps 0.1 --eps-units pixel" ;;
    h-sat) echo "--optimizer sgd --robust h-sat --adv-eps 0.1 --eps-units pixel" ;;
    p-sat) echo "--optimizer sgd --robust p-sat --adv-eps 0.1 --eps-units pixel" ;;
    awp-pgd-at) echo "--optimizer awp --robust pgd-at --adv-eps 0.1 --eps-units pixel" ;;
    *) echo "unknown set-up $1" >&2; exit 2 ;;
  esac
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "| training | clean acc | FGSM acc ε=0.02 / 0.05 | PGD-10 acc ε=0.02 / 0.05 | mean input λ_max | mean CURE | mean noise acc | worst-case ΔL ρ=0.05 | random ΔL ρ=0.05 | PAC-Bayes σ |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for config in ${CONFIGS:-sgd sam}; do
  # shellcheck disable=SC2046
  "$cli" --json train --model zoo:cnn-small --data fashion-mnist:train --samples "$samples" \
    --test-data fashion-mnist:test --epochs "$epochs" --batch-size 128 --lr 0.05 --seed 1 \
    $(config_args "$config") --out "$project" --run "$config" > "/tmp/robustness-$config-train.json"
  model="$project:/runs/$config"
  "$cli" --json robustness --model "$model" --data fashion-mnist:test --samples "$test_samples" \
    --attack fgsm,pgd --eps 0.02,0.05 --eps-units pixel --input-curvature --curvature-samples 200 \
    --corruptions --seed 1 --out "$project" --name "robustness-$config" > "/tmp/robustness-$config.json"
  "$cli" --json sharpness --model "$model" --data fashion-mnist:test --samples "$test_samples" \
    --rho 0.05 --sigma 0.01 --seed 1 --no-fisher-rao --no-relative-flatness --no-hessian \
    --out "$project" --name "sharpness-$config" > "/tmp/sharpness-$config.json"
  python3 - "$config" "/tmp/robustness-$config.json" "/tmp/sharpness-$config.json" <<'PY'
import json, statistics, sys
config, rob, sharp = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
acc = {(a["attack"], a["eps"]): a["accuracy"] for a in rob["attacks"]}
curv = rob["input_curvature"]
def first(key, sub):
    v = sharp[key]
    return v[sub][0] if isinstance(v, dict) else v[0][sub]
print(f"| {config} | {rob['clean_accuracy']:.4f} | {acc[('fgsm', 0.02)]:.4f} / {acc[('fgsm', 0.05)]:.4f} | "
      f"{acc[('pgd', 0.02)]:.4f} / {acc[('pgd', 0.05)]:.4f} | {statistics.mean(curv['lambda_max']):.3f} | "
      f"{statistics.mean(curv['cure']):.2f} | {rob['corruptions']['mean_accuracy']:.4f} | "
      f"{first('worst_case', 'loss_increase'):.4f} | {first('random_directions', 'loss_increase'):.4f} | "
      f"{sharp['pac_bayes']['sigma']:.4f} |")
PY
done
