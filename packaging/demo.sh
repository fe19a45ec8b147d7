#!/usr/bin/env bash
# The README's first command: installs the Debian packages, builds Flatland, and runs a short
# demo on Fashion-MNIST with no display needed — trains a small CNN with SGD and with SAM,
# computes each one's Hessian spectrum, loss surface and quantization sweep, and exports the
# figures. Everything lands in demo/demo.h5 and demo/figures/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
# LibTorch from PyTorch >= 2.7 (PyPI; CUDA when the wheel has it), Debian's 1.13 as the fallback.
torch_python=$(bash packaging/setup-torch.sh "${FLATLAND_TORCH:-auto}")
build_dir=${FLATLAND_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLATLAND_TORCH_PYTHON="$torch_python"
cmake --build "$build_dir" -j 2 --target flatland-cli flatland

cli=$build_dir/app/flatland-cli
out=demo
project=$out/demo.h5
mkdir -p "$out/figures"
rm -rf "$project" "$out/demo.flatland"  # the project: its index and its folder
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

# Rendering needs an X display; a virtual one does when there is none.
render() {
  if [ -n "${DISPLAY:-}" ]; then "$cli" render "$@"; else xvfb-run -a -s '-screen 0 1280x1024x24 -noreset' "$cli" render "$@"; fi
}

for optimizer in sgd sam; do
  echo "== training $optimizer"
  "$cli" train --model zoo:cnn-small --data fashion-mnist:train --samples 10000 \
    --test-data fashion-mnist:test --test-samples 2000 --epochs 4 --batch-size 128 --lr 0.05 \
    --optimizer "$optimizer" --rho 0.05 --seed 1 --out "$project" --run "$optimizer"
  echo "== Hessian of $optimizer"
  "$cli" hessian --model "$project:/runs/$optimizer" --data fashion-mnist:test --samples 1000 \
    --top-k 5 --bottom-k 1 --trace --density --seed 1 --out "$project" --name "hessian-$optimizer"
  echo "== loss surface of $optimizer"
  "$cli" surface --model "$project:/runs/$optimizer" --data fashion-mnist:test --samples 1000 \
    --dirs random --grid -1:1:21,-1:1:21 --seed 1 --out "$project" --name "surface-$optimizer"
  if [ "$optimizer" = sam ]; then
    echo "== loss surface of sam along sgd's directions (one set of axes for both minima)"
    "$cli" surface --model "$project:/runs/sam" --data fashion-mnist:test --samples 1000 \
      --from-analysis surface-sgd --grid -1:1:21,-1:1:21 --out "$project" --name surface-sam-shared
  fi
  echo "== quantization sweep of $optimizer"
  "$cli" quantize --model "$project:/runs/$optimizer" --data fashion-mnist:test --samples 2000 \
    --bits 2-8 --out "$project" --name "quantize-$optimizer"
done

echo "== figures"
for analysis in surface-sgd surface-sam hessian-sgd hessian-sam quantize-sgd quantize-sam; do
  for ext in png pdf; do
    render --project "$project" --analysis "$analysis" --out "$out/figures/$analysis.$ext"
  done
done

"$cli" info "$project"
echo
echo "Project file: $(realpath "$project")"
echo "Figures:      $(realpath "$out/figures")/"
echo "Open it in the GUI: $build_dir/app/flatland $project"
