#!/usr/bin/env bash
# Flatland against the reference tools, in one run on one machine, one thread each
# (docs/performance.md, "Against PyHessian and loss-landscape"):
#   - PyHessian at its defaults on an 18k-parameter CNN, 1,000 Fashion-MNIST test images:
#     top-5 eigenvalues (power iteration with deflation) and the trace (Hutchinson), against
#     flatland-cli hessian (Lanczos; Hutchinson to PyHessian's standard error, and Hutch++);
#     ARPACK (scipy's eigsh, tol 1e-10) gives the reference eigenvalues;
#   - loss-landscape's own functions for a 21×21 surface of a BatchNorm CNN on N test images,
#     against flatland-cli surface, with and without frozen inference.
#
#   bash bench/peers/compare.sh CLI PYHESSIAN_DIR LOSS_LANDSCAPE_DIR [N=2000]
#
# PYHESSIAN_DIR and LOSS_LANDSCAPE_DIR are checkouts of github.com/amirgholami/PyHessian and
# github.com/tomgoldstein/loss-landscape. The Python is Flatland's PyTorch
# (packaging/setup-torch.sh; PYTHON=... to choose another) with scipy and h5py installed
# (loss-landscape imports h5py).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 CLI PYHESSIAN_DIR LOSS_LANDSCAPE_DIR [N]" >&2; exit 2; }
cli=$1 pyhessian=$2 landscape=$3 samples=${4:-2000}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$HOME/.local/share/flatland/torch-venv/bin/python}
cores=$(nproc)  # before OMP_NUM_THREADS, which nproc obeys
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

field() { "$python" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))" "$@"; }
ratio() { "$python" -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

echo "Flatland vs PyHessian and loss-landscape, one thread each, $cores cores, $(date -u +%F)"
"$cli" --version | head -2 | sed 's/^/  /'

echo "== PyHessian (its defaults) on a 17,786-parameter CNN, 1,000 Fashion-MNIST test images"
"$python" "$here/pyhessian_run.py" "$pyhessian" "$work/cnn.pt" --arpack 2>/dev/null | tail -1 > "$work/ph.json"
hessian() { "$cli" --threads 1 --json hessian --model "$work/cnn.pt" --data fashion-mnist:test \
  --samples 1000 --out "" "$@" | tail -1; }
hessian --top-k 5 > "$work/top5.json"
stderr=$(field "$work/ph.json" "trace['stderr']")
hessian --top-k 0 --trace --trace-stderr "$stderr" --trace-rel-stderr 0 > "$work/trace.json"
hessian --top-k 0 --trace --hutchpp --trace-samples 30 > "$work/hutchpp.json"
hessian --top-k 0 --density --density-steps 100 --density-vectors 1 > "$work/density.json"
"$python" - "$work" <<'PY'
import json, sys
w = sys.argv[1]
ph, top5, tr, pp, dn = (json.load(open(f"{w}/{n}.json"))
                        for n in ("ph", "top5", "trace", "hutchpp", "density"))
ref = ph["arpack"]["values"]
def err(values):
    return max(abs(a - b) / abs(b) for a, b in zip(values, ref))
print("| job | tool | HVPs | seconds | result | max rel. error vs ARPACK | speed-up |")
print("|---|---|---|---|---|---|---|")
p, f = ph["top5"], top5
print(f"| top-5 eigenvalues | PyHessian (power + deflation) | {p['products']} | {p['seconds']:.2f} | "
      f"{', '.join(f'{v:.4f}' for v in p['values'])} | {err(p['values']):.1e} | 1 |")
print(f"| top-5 eigenvalues | Flatland (Lanczos, tol 1e-3) | {f['hvp_count']} | {f['analysis_seconds']:.2f} | "
      f"{', '.join(f'{v:.4f}' for v in f['top_eigenvalues'])} | {err(f['top_eigenvalues']):.1e} | "
      f"**{p['seconds'] / f['analysis_seconds']:.1f}×** |")
t = ph["trace"]
print(f"| trace | PyHessian (Hutchinson, tol 1e-3) | {t['products']} | {t['seconds']:.2f} | "
      f"{t['mean']:.2f} ± {t['stderr']:.2f} | — | 1 |")
d = tr
print(f"| trace | Flatland (Hutchinson to PyHessian's standard error) | {d['hvp_count']} | "
      f"{d['analysis_seconds']:.2f} | {d['trace']['mean']:.2f} ± {d['trace']['stderr']:.2f} | — | "
      f"**{t['seconds'] / d['analysis_seconds']:.1f}×** |")
t = ph["trace100"]
print(f"| trace, full budget | PyHessian (Hutchinson, 100 samples) | {t['products']} | {t['seconds']:.2f} | "
      f"{t['mean']:.2f} ± {t['stderr']:.2f} | — | 1 |")
d = pp
print(f"| trace, full budget | Flatland (Hutch++, 30 products) | {d['hvp_count']} | "
      f"{d['analysis_seconds']:.2f} | {d['trace']['mean']:.2f} ± {d['trace']['stderr']:.2f} | — | "
      f"**{t['seconds'] / d['analysis_seconds']:.1f}×** |")
t, d = ph["density"], dn
nodes = d["density"]["nodes"][0]
print(f"| density (SLQ, m = 100, n_v = 1) | PyHessian | {t['products']} | {t['seconds']:.2f} | "
      f"nodes in [{t['lowest']:.3f}, {t['highest']:.3f}] | — | 1 |")
print(f"| density (SLQ, m = 100, n_v = 1) | Flatland | {d['hvp_count']} | {d['analysis_seconds']:.2f} | "
      f"nodes in [{min(nodes):.3f}, {max(nodes):.3f}] | — | "
      f"**{t['seconds'] / d['analysis_seconds']:.1f}×** |")
print(f"ARPACK reference: {', '.join(f'{v:.6f}' for v in ref)} ({ph['arpack']['seconds']:.1f} s)")
PY

echo "== loss-landscape: 21×21 surface of a BatchNorm CNN on $samples Fashion-MNIST test images"
"$python" "$here/loss_landscape_run.py" "$landscape" "$work/bn.pt" "$samples" 21 2>/dev/null | tail -1 > "$work/ll.json"
surface() { "$cli" --threads 1 --json surface --model "$work/bn.pt" --data fashion-mnist:test \
  --samples "$samples" --grid -1:1:21,-1:1:21 --out "$work/$1.h5" --name s | tail -1 > "$work/$1.json"; }
surface fs
FLATLAND_FROZEN_INFERENCE=0 surface plain  # before frozen inference: the model's own forward pass
ll=$(field "$work/ll.json" "seconds") fl=$(field "$work/fs.json" "seconds") pl=$(field "$work/plain.json" "seconds")
echo "| tool | points | seconds | loss at the origin | speed-up |"
echo "|---|---|---|---|---|"
echo "| loss-landscape (batch 128) | 441 | $(printf %.1f "$ll") | $(field "$work/ll.json" "round(center_loss, 6)") | 1 |"
echo "| Flatland, plain forward passes (FLATLAND_FROZEN_INFERENCE=0) | 441 | $(printf %.1f "$pl") | $(field "$work/plain.json" "round(loss_at_origin, 6)") | $(ratio "$ll" "$pl")× |"
echo "| Flatland (frozen inference) | 441 | $(printf %.1f "$fl") | $(field "$work/fs.json" "round(loss_at_origin, 6)") | **$(ratio "$ll" "$fl")×** |"
