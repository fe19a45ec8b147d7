// A check before reading an HDF5 dataset that libhdf5 1.10 does not make itself: a compact or
// contiguous dataset whose stored bytes do not cover its shape (a damaged file) makes H5Dread
// copy from memory that is not there (found by tests/fuzz). Private to flatland_training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hdf5_handle.h"

namespace flatland::training {

// What is wrong with the dataset's storage, "" when it can hold its values (each reader throws
// its own error type). Contiguous storage that was never written (size 0) reads as the fill
// value, as HDF5 means it to.
inline std::string storageProblem(hid_t dataset, const std::vector<int64_t>& shape,
                                  size_t elementSize) {
  auto dcpl = h5::plist(H5Dget_create_plist(dataset));
  if (!dcpl.valid()) return "cannot read how it is stored (a damaged file?)";
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  if (layout != H5D_COMPACT && layout != H5D_CONTIGUOUS) return "";
  uint64_t needed = elementSize;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(needed, uint64_t(d), &needed))
      return "has an impossible shape (a damaged file?)";
  const uint64_t stored = H5Dget_storage_size(dataset);
  if (stored < needed && (layout == H5D_COMPACT || stored != 0))
    return "stores " + std::to_string(stored) + " bytes but its shape needs " +
           std::to_string(needed) + " (a damaged file?)";
  return "";
}

}  // namespace flatland::training
