#!/usr/bin/env bash
# Jobs on an h5: data set larger than the memory they may use (docs/performance.md, "Data larger
# than memory"): writes N × 784 float32 samples (contiguous, so Flatland maps them from the file)
# and runs eval, one training epoch, a streamed Hessian (top-1, --max-cached 0) and a 3×3 surface
# over all of them inside a memory cgroup of LIMIT MiB (cgroup v1 or v2; needs root), printing
# each job's exit status, the cgroup's peak and the wall time.
#
#   sudo bash bench/streamed_data.sh CLI [SAMPLES=650000] [LIMIT_MIB=1024] [DIR=/tmp]
#
# 650,000 samples are 2.0 GB of /x: twice the limit. With the same data chunked and compressed
# (read into memory) the same jobs are killed by the cgroup.
set -u
cli=$(realpath "$1") samples=${2:-650000} limit=${3:-1024} dir=${4:-/tmp}
python=${PYTHON:-/usr/bin/python3}  # Debian's, with python3-h5py (packaging/install-deps.sh)
data=$dir/flatland-streamed-$samples.h5
work=$(mktemp -d)
trap 'rm -rf "$work"; rmdir "$cg" 2>/dev/null' EXIT
if [ ! -f "$data" ]; then
  "$python" - "$data" "$samples" <<'PY'
import sys, h5py, numpy as np
path, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
with h5py.File(path, "w") as f:
    x = f.create_dataset("x", (n, 784), dtype="<f4")  # contiguous, uncompressed: h5py's default
    for s in range(0, n, 50000):
        e = min(n, s + 50000)
        x[s:e] = rng.standard_normal((e - s, 784), dtype=np.float32)
    f["y"] = rng.integers(0, 10, n).astype(np.int64)
PY
fi
echo "$(du -hL "$data" | cut -f1) of data ($samples samples), a cgroup of $limit MiB, $(date -u +%F)"

if [ -d /sys/fs/cgroup/memory ]; then  # v1
  cg=/sys/fs/cgroup/memory/flatland-streamed-$$
  mkdir -p "$cg" && echo $((limit << 20)) > "$cg/memory.limit_in_bytes"
  peak() { echo $(( $(cat "$cg/memory.max_usage_in_bytes") >> 20 )); }
  resetPeak() { echo 0 > "$cg/memory.max_usage_in_bytes"; }
else  # v2
  cg=/sys/fs/cgroup/flatland-streamed-$$
  mkdir -p "$cg" && echo $((limit << 20)) > "$cg/memory.max"
  peak() { [ -f "$cg/memory.peak" ] && echo $(( $(cat "$cg/memory.peak") >> 20 )) || echo "?"; }
  resetPeak() { :; }
fi

run() {
  local label=$1; shift
  resetPeak
  sh -c 'echo $$ > "$0/cgroup.procs"; shift; exec /usr/bin/time -f "%e" "$@"' "$cg" _ "$@" \
    > "$work/out.json" 2> "$work/err"
  local rc=$?
  echo "| $label | $rc | $(tail -1 "$work/err") | $(peak) |"
}
echo "| job | exit | wall s | cgroup peak MiB |"
echo "|---|---|---|---|"
run "eval" "$cli" --json eval --model zoo:mlp --data "h5:$data" --device cpu
run "train, 1 epoch" "$cli" --json train --model zoo:mlp --data "h5:$data" --test-data "h5:$data" \
  --test-samples 10000 --epochs 1 --batch-size 256 --device cpu --out "$work/p.h5" --run r
run "Hessian top-1, streamed" "$cli" --json hessian --model zoo:mlp --data "h5:$data" --samples 0 \
  --top-k 1 --tol 1e-2 --max-cached 0 --device cpu --out ""
run "3×3 surface" "$cli" --json surface --model zoo:mlp --data "h5:$data" --grid=-1:1:3,-1:1:3 \
  --device cpu --out "$work/p.h5" --name s
