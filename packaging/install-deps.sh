#!/usr/bin/env bash
# Installs every Debian 12 package Flatland's build, tests and demo need.
# Idempotent (apt skips what is there), quiet, and stops at the first failure.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # the formatting .ci/run checks (.clang-format; Debian 12's is clang-format 14)
  clang-format
  # the fixed stack
  libtorch-dev qt6-base-dev libqt6opengl6-dev qt6-svg-dev libvtk9-dev libspectra-dev
  libhdf5-dev libgtest-dev libgmock-dev libeigen3-dev
  # helpers that save hand-written code
  libcli11-dev nlohmann-json3-dev libfmt-dev libbenchmark-dev
  # optimised BLAS: Debian's LibTorch otherwise runs on the reference BLAS
  libopenblas0-pthread
  # data
  dataset-fashion-mnist
  # headless rendering for render and GUI tests, and the demo's figures
  xvfb xauth mesa-utils libgl1-mesa-dri
  # HDF5 command-line tools (h5ls) and h5py, to check project files stay readable from Python
  hdf5-tools python3-h5py
  # a virtual environment for PyTorch from PyPI (packaging/setup-torch.sh)
  python3-venv
  # OpenMPI for the distributed surface/density jobs
  libopenmpi-dev openmpi-bin
)

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
