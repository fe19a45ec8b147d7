#!/usr/bin/env bash
# Fuzzes Flatland's readers with libFuzzer (clang from Debian's packages): the spec parsers, the
# project-file reader, and the IDX, CIFAR-10 and HDF5 data readers (tests/fuzz/fuzz_*.cpp).
#
#   bash bench/fuzz.sh SECONDS [TARGET ...]      (targets: specs project_file data_readers)
#
# Each target is built with AddressSanitizer and UBSan into build-fuzz/, starts from the
# committed corpus tests/fuzz/corpus/TARGET/ and runs SECONDS (with -fork, so it goes on after a
# crash, and after an input that runs over 25 s: libhdf5 has inputs it never returns from); new
# crashers land in build-fuzz/crashes-TARGET/, hangs as timeout-*. A crasher that is fixed goes into the
# corpus, which ctest replays (label fuzz). LeakSanitizer is off: libhdf5 1.10 leaks on its own
# error paths, and the targets check themselves that no HDF5 object stays open.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: bench/fuzz.sh SECONDS [TARGET ...]}
shift
if [ $# -gt 0 ]; then targets=("$@"); else targets=(specs project_file data_readers); fi
out=build-fuzz
# The version header CMake would generate.
mkdir -p "$out/generated/flatland"
printf '#pragma once\n#define FLATLAND_VERSION "fuzz"\n' > "$out/generated/flatland/version.h"

flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -D_GLIBCXX_USE_CXX11_ABI=1
  -Itraining/include -Itraining/src -Ianalysis/include -Ierrors/include -I"$out/generated"
  -isystem /usr/include/hdf5/serial -isystem /usr/include/torch/csrc/api/include)
libs=(-L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5 -lz)
sources_specs=(training/src/specs.cpp analysis/src/grid.cpp)
sources_project_file=(training/src/project_file.cpp training/src/project_commit.cpp
  training/src/project_hdf5.cpp training/src/project_split.cpp training/src/project_packing.cpp
  training/src/hdf5_handle.cpp)
sources_data_readers=(training/src/idx_reader.cpp training/src/cifar_reader.cpp
  training/src/hdf5_dataset_reader.cpp training/src/hdf5_handle.cpp)

for target in "${targets[@]}"; do
  sources_var="sources_${target}[@]"
  extra=()
  [ "$target" = data_readers ] && extra=(-ltorch -ltorch_cpu -lc10)
  echo "== building fuzz_$target"
  clang++ "${flags[@]}" "tests/fuzz/fuzz_$target.cpp" "${!sources_var}" "${libs[@]}" "${extra[@]}" \
    -o "$out/fuzz_$target" 2> >(grep -v warning >&2)
  corpus=$out/corpus-$target
  mkdir -p "$corpus" "$out/crashes-$target"
  cp -n tests/fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzzing $target for $seconds s"
  ASAN_OPTIONS=allocator_may_return_null=1 "$out/fuzz_$target" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -timeout=25 -max_total_time="$seconds" -max_len=20000 \
    -detect_leaks=0 -rss_limit_mb=4096 -artifact_prefix="$out/crashes-$target/" "$corpus" \
    > "$out/fuzz_$target.log" 2>&1 || true
  grep -E "^#[0-9]+:" "$out/fuzz_$target.log" | tail -1 || true  # runs, coverage, crashes
  echo "crashes: $(ls "$out/crashes-$target" | wc -l) in $out/crashes-$target"
done
