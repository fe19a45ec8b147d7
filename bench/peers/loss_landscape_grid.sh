#!/usr/bin/env bash
# Flatland's grid against loss-landscape's own, on the same model, data and direction file
# (issue #16's check: equal to 1e-5). For each --dir_type (weights; states; states towards a second
# model, which moves the BatchNorm running statistics too), loss_landscape_grid.py makes the
# directions and the grid with the project's own code; flatland-cli surface --dirs loss-landscape
# computes the grid on them; flatland-cli import-surface brings the project's surface file in; the
# two are compared.
#
#   bash bench/peers/loss_landscape_grid.sh CLI LOSS_LANDSCAPE_DIR [N=500] [POINTS=11]
#
# The Python is Flatland's PyTorch (packaging/setup-torch.sh; PYTHON=... to choose another) with
# h5py installed.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CLI LOSS_LANDSCAPE_DIR [N] [POINTS]" >&2; exit 2; }
cli=$1 landscape=$2 samples=${3:-500} points=${4:-11}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$HOME/.local/share/flatland/torch-venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1

for dir_type in weights states target; do
  mkdir -p "$work/$dir_type"
  d=$work/$dir_type
  "$python" "$here/loss_landscape_grid.py" "$landscape" "$d" "$dir_type" "$samples" "$points" 2>/dev/null
  "$cli" surface --model "$d/net.pt" --data fashion-mnist:test --samples "$samples" \
    --dirs loss-landscape --dir-file "$d/dirs.h5" --grid "-1:1:$points,-1:1:$points" \
    --out "$d/p.h5" --name flatland > /dev/null
  "$cli" import-surface "$d/surface.h5" --out "$d/p.h5" --name theirs > /dev/null
  "$python" - "$d/p.h5" "$dir_type" <<'PY'
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    ours, theirs = f["analyses/flatland"], f["analyses/theirs"]
    loss = np.abs(ours["train_loss"][()] - theirs["train_loss"][()])
    rel = loss / np.abs(theirs["train_loss"][()])
    acc = np.abs(ours["train_accuracy"][()] - theirs["train_accuracy"][()])
    print(f"--dir_type {sys.argv[2]:7s}: {loss.size} points, loss {theirs['train_loss'][()].min():.4f}"
          f"..{theirs['train_loss'][()].max():.4f}; |flatland - loss-landscape| loss max {loss.max():.2e}"
          f" (relative {rel.max():.2e}), accuracy max {acc.max():.2e}")
PY
done
