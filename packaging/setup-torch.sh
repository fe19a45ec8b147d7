#!/usr/bin/env bash
# Chooses the LibTorch Flatland builds against and prints, on stdout, the python whose torch
# package provides it (empty for Debian's libtorch-dev). Progress goes to stderr.
#
#   bash packaging/setup-torch.sh [auto|pypi|debian]      (default: $FLATLAND_TORCH, else auto)
#
#  pypi    PyTorch >= 2.7 from PyPI: the python named by FLATLAND_TORCH_PYTHON when set (it must
#          import torch), else Flatland's own virtual environment at
#          ${FLATLAND_TORCH_VENV:-~/.local/share/flatland/torch-venv}, made and filled with
#          torch==${FLATLAND_TORCH_VERSION:-2.11.0} on first use (about 4.6 GB with CUDA's
#          libraries; later runs reuse it). The default PyPI wheel is the CUDA build.
#  debian  Debian's libtorch-dev 1.13, CPU only (installed by packaging/install-deps.sh).
#  auto    pypi, or debian with a warning when PyPI cannot be reached.
set -euo pipefail

choice=${1:-${FLATLAND_TORCH:-auto}}
version=${FLATLAND_TORCH_VERSION:-2.11.0}
venv=${FLATLAND_TORCH_VENV:-$HOME/.local/share/flatland/torch-venv}
say() { echo "setup-torch: $*" >&2; }

has_torch() { "$1" -c 'import torch' >/dev/null 2>&1; }

pypi() {
  if [ -n "${FLATLAND_TORCH_PYTHON:-}" ]; then
    has_torch "$FLATLAND_TORCH_PYTHON" || { say "FLATLAND_TORCH_PYTHON=$FLATLAND_TORCH_PYTHON cannot import torch"; return 1; }
    echo "$FLATLAND_TORCH_PYTHON"
    return 0
  fi
  local python=$venv/bin/python
  if [ -x "$python" ] && "$python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$version')" 2>/dev/null; then
    say "using PyTorch $version in $venv"
    echo "$python"
    return 0
  fi
  say "installing PyTorch $version from PyPI into $venv (first time only; several GB)"
  [ -x "$python" ] || python3 -m venv "$venv" >&2 || { say "cannot make a virtual environment (apt-get install python3-venv)"; return 1; }
  "$python" -m pip install --quiet --disable-pip-version-check "torch==$version" numpy >&2 || return 1
  echo "$python"
}

case "$choice" in
  pypi) pypi ;;
  debian) say "using Debian's libtorch-dev (LibTorch 1.13, CPU only)"; echo "" ;;
  auto)
    if ! pypi; then
      say "WARNING: PyTorch could not be installed from PyPI; falling back to Debian's libtorch-dev 1.13 (CPU only; models that use scaled_dot_product_attention will not load)"
      echo ""
    fi ;;
  *) say "unknown choice '$choice' (auto, pypi or debian)"; exit 2 ;;
esac
