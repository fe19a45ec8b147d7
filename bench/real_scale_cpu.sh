#!/usr/bin/env bash
# Real-scale CPU numbers (docs/performance.md): zoo:resnet20 on 1,000 CIFAR-size inputs —
# top-5 eigenvalues, the trace and a 21×21 surface — with wall and CPU seconds, Hessian-vector
# products and peak memory, for one or more builds of flatland-cli.
#
#   bash bench/real_scale_cpu.sh [--threads N] [--quick] [--only top5|trace|surface] CLI [CLI ...]
#
# --quick: 7×7 instead of 21×21 (for a smoke test). --only: one of the three jobs. The inputs are normal 3×32×32 images with
# random labels (CIFAR-10's sizes; no download), the model untrained with seed 0; eigenvalues
# are printed so two builds can be checked to agree.
set -euo pipefail
threads=1 grid=21 only=
while [ $# -gt 0 ]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --quick) grid=7; shift ;;
    --only) only=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: $0 [--threads N] [--quick] [--only top5|trace|surface] CLI [CLI ...]" >&2; exit 2; }
# A job runs when no --only is given or --only names it.
wants() { [ -z "$only" ] || [ "$only" = "$1" ]; }

# Debian's python3 has h5py (python3-h5py, installed by packaging/install-deps.sh).
python=${PYTHON:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/cifar-size-1000.h5
"$python" - "$data" <<'PY'
import sys, h5py, numpy as np
rng = np.random.default_rng(0)
with h5py.File(sys.argv[1], "w") as f:
    f["x"] = rng.standard_normal((1000, 3, 32, 32), dtype=np.float32)
    f["y"] = rng.integers(0, 10, 1000).astype(np.int64)
PY

cores=$(nproc)  # before OMP_NUM_THREADS, which nproc obeys
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=1
# Runs a command under GNU time; prints wall s, CPU s (user+sys), peak RSS MiB and its JSON.
measure() {
  local label=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out.json"
  read -r wall user sys rss < "$work/time"
  "$python" - "$label" "$wall" "$user" "$sys" "$rss" "$work/out.json" <<'PY'
import json, sys
label, wall, user, sys_, rss, out = sys.argv[1:]
doc = json.loads(open(out).read().strip().splitlines()[-1])
extra = ""
if "top_eigenvalues" in doc:
    extra += " top5=" + ",".join(f"{v:.5g}" for v in doc["top_eigenvalues"])
if "trace" in doc and isinstance(doc["trace"], dict):
    t = doc["trace"]
    extra += f" trace={t.get('mean', float('nan')):.5g}±{t.get('stderr', float('nan')):.2g} ({t.get('samples', '?')} samples)"
for key in ("hvp_count",):
    if key in doc:
        extra += f" HVPs={doc[key]}"
if "shape" in doc:
    extra += f" grid={doc['shape']}"
print(f"| {label} | {float(wall):.1f} | {float(user) + float(sys_):.1f} | {int(rss) / 1024:.0f} |{extra}")
PY
}

echo "zoo:resnet20, 1,000 CIFAR-size inputs, $threads intra-op thread(s), $cores cores, $(date -u +%F)"
for cli in "$@"; do
  echo "== $cli"
  "$cli" --version | sed 's/^/   /'
  echo "| job | wall s | CPU s | peak MiB | result |"
  echo "|---|---|---|---|---|"
  if wants top5; then measure "top-5 eigenvalues (Lanczos)" "$cli" --json hessian --model zoo:resnet20 \
    --data "h5:$data" --top-k 5 --device cpu --out ""; fi
  if wants trace; then measure "trace (Hutchinson, 1% rel. stderr, ≤100 HVPs)" "$cli" --json hessian \
    --model zoo:resnet20 --data "h5:$data" --top-k 0 --trace --device cpu --out ""; fi
  if wants surface; then measure "${grid}×${grid} surface (random filter-normalised)" "$cli" --json surface \
    --model zoo:resnet20 --data "h5:$data" --grid "-1:1:$grid,-1:1:$grid" --device cpu \
    --out "$work/s.h5" --name "s-$RANDOM"; fi
done
