#!/usr/bin/env bash
# The prepared GPU check: builds flatland-cli, the engine tests and the benchmarks (no GUI)
# against the GPU machine's own PyTorch LibTorch, runs the CUDA and PyTorch-interop tests, and
# prints the benchmark table for docs/performance.md.
#
#   bash bench/gpu_check.sh prepare   here, with network: downloads the Debian packages the GPU
#                                     machine lacks (HDF5, Eigen, Spectra, CLI11, nlohmann-json,
#                                     GoogleTest; about 7 MiB) into .gpu-deps/ (git-ignored)
#   bash bench/gpu_check.sh run       there, through the device tool:
#                                     run(command="bash bench/gpu_check.sh run",
#                                         carry=[".gpu-deps"], timeout_s=590)
#
# The GPU machine has PyTorch (python3), nvcc, CMake and ninja, h5py and numpy, and no network.
# Each stage prints a line starting with "==" so a cut-off log still says how far it got.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libhdf5-103-1 libhdf5-dev libsz2 libaec0 libaec-dev zlib1g-dev libeigen3-dev
          libspectra-dev libcli11-dev nlohmann-json3-dev libgtest-dev libgmock-dev libcurl4)

prepare() {
  mkdir -p .gpu-deps
  grep -qxF '/.gpu-deps/' .git/info/exclude 2>/dev/null || echo '/.gpu-deps/' >> .git/info/exclude
  (cd .gpu-deps && rm -f ./*.deb && apt-get download "${packages[@]}")
  du -sh .gpu-deps
}

build() {
  echo "== unpacking $(ls .gpu-deps/*.deb | wc -l) carried packages"
  deps=/tmp/flatland-gpu-deps
  rm -rf "$deps" && mkdir -p "$deps/curl"
  for f in .gpu-deps/*.deb; do dpkg -x "$f" "$deps"; done
  lib=$deps/usr/lib/x86_64-linux-gnu
  # libhdf5 links libcurl (for a remote-file driver Flatland never uses): take the carried copy
  # only where the machine has none, since its own dependencies may be missing there.
  mv "$lib"/libcurl.so.4* "$deps/curl/"
  export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  ldconfig -p | grep -q 'libcurl.so.4 ' || export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$deps/curl

  echo "== configure against $(python3 -c 'import torch; print("PyTorch", torch.__version__)')"
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLATLAND_GUI=OFF \
    -DFLATLAND_TESTS=ON -DFLATLAND_BENCH=ON -DFLATLAND_CCACHE=OFF -DFLATLAND_MPI=OFF \
    -DFLATLAND_TORCH_PYTHON="$(command -v python3)" -DCMAKE_PREFIX_PATH="$deps/usr" \
    -DFLATLAND_HDF5_PREFIX="$deps/usr" -DZLIB_INCLUDE_DIR="$deps/usr/include" \
    -DZLIB_LIBRARY="$lib/libz.so" > build-gpu.configure.log 2>&1 || { tail -40 build-gpu.configure.log; exit 1; }
  echo "== build ($(nproc) cores)"
  local start=$SECONDS
  cmake --build build-gpu -j "$(nproc)" > build-gpu.log 2>&1 || { grep -B5 -A20 'error' build-gpu.log | head -80; exit 1; }
  echo "built in $((SECONDS - start)) s"
  ldd build-gpu/app/flatland-cli | grep 'not found' && { echo "missing libraries above"; exit 1; } || true
  build-gpu/app/flatland-cli --version
}

tests() {
  echo "== tests: gpu (CUDA against CPU), pytorch (models from PyTorch $(python3 -c 'import torch; print(torch.__version__)')), engine"
  OMP_NUM_THREADS=4 ctest --test-dir build-gpu -L 'gpu|pytorch|hessian' --output-on-failure -j 4 --timeout 300 || true
}

# Peak device memory while a command runs, polled by nvidia-smi (includes the CUDA context).
with_gpu_memory() {
  local log=/tmp/flatland-gpu-mem.log
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$log" 2>/dev/null &
  local poller=$!
  local start=$SECONDS status=0
  "$@" || status=$?
  kill "$poller" 2>/dev/null || true
  echo "   -> $((SECONDS - start)) s wall, peak GPU memory $(sort -n "$log" | tail -1) MiB, exit $status"
}

benchmarks() {
  local cli=build-gpu/app/flatland-cli data=/tmp/flatland-cifar-size.h5
  echo "== benchmarks on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
  # CIFAR-10's sizes without the download: 10,000 normal 3×32×32 images, random labels.
  python3 - "$data" <<'PY'
import sys, h5py, numpy as np
rng = np.random.default_rng(0)
with h5py.File(sys.argv[1], "w") as f:
    f["x"] = rng.standard_normal((10000, 3, 32, 32), dtype=np.float32)
    f["y"] = rng.integers(0, 10, 10000).astype(np.int64)
PY
  echo "-- HVP/gradient ratio, top-5 Lanczos, trace, SLQ: zoo:resnet20, 1,000 and 10,000 CIFAR-size inputs"
  with_gpu_memory build-gpu/bench/hessian_bench --model resnet20 --data random-cifar \
    --samples 1000,10000 --device cuda --batch-size 1000 --no-power5 --threads 4
  # One grid point per pass, then several with stacked weight sets (grouped convolutions): the
  # two surfaces must agree (the last line compares them), and the times say which pays.
  rm -f /tmp/flatland-gpu.h5  # a rerun starts fresh surfaces instead of finding them complete
  for points in 1 8; do
    echo "-- 51x51 surface of zoo:resnet20 on 10,000 CIFAR-size inputs, $points grid point(s) per pass"
    with_gpu_memory "$cli" surface --model zoo:resnet20 --data "h5:$data" --grid -1:1:51,-1:1:51 \
      --device cuda --points-per-pass "$points" --out /tmp/flatland-gpu.h5 --name "s51-$points"
  done
  if python3 - <<'PY'
import h5py, numpy as np
with h5py.File("/tmp/flatland-gpu.h5", "r") as f:
    a, b = (f[f"analyses/s51-{p}/train_loss"][()] for p in (1, 8))
print(f"   stacked vs one point per pass: max relative loss difference {np.nanmax(np.abs(a - b) / np.abs(a)):.2e}")
PY
  then :; else echo "   (the two surfaces could not be compared: see above)"; fi
  for optimizer in sgd sam; do
    echo "-- one training epoch of zoo:resnet20 with $optimizer (10,000 inputs, batch 128)"
    with_gpu_memory "$cli" train --model zoo:resnet20 --data "h5:$data" --epochs 1 \
      --batch-size 128 --optimizer "$optimizer" --rho 0.05 --device cuda \
      --out /tmp/flatland-gpu.h5 --run "epoch-$optimizer"
  done
}

case ${1:-} in
  prepare) prepare ;;
  run) build; tests; benchmarks ;;
  build) build ;;
  tests) build; tests ;;
  bench) build; benchmarks ;;
  *) echo "usage: $0 prepare|run|build|tests|bench" >&2; exit 2 ;;
esac
