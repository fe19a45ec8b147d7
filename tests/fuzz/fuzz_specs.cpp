// Fuzz target: the spec parsers (data, model, grid) on arbitrary text. Every input ends in a
// value or a flatland::Error; nothing else may escape (bench/fuzz.sh, tests/fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "flatland/analysis/grid.h"
#include "flatland/errors.h"
#include "flatland/training/specs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    flatland::training::DataSpec::parse(text);
  } catch (const flatland::Error&) {
  }
  try {
    flatland::training::ModelSpec::parse(text);
  } catch (const flatland::Error&) {
  }
  try {
    const auto grid = flatland::analysis::GridSpec::parse(text);
    grid.text();
  } catch (const flatland::Error&) {
  }
  return 0;
}
