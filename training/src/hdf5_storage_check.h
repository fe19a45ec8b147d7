// A check before reading an HDF5 dataset that libhdf5 1.10 does not make itself: a compact or
// contiguous dataset whose stored bytes do not cover its shape (a damaged file) makes H5Dread
// copy from memory that is not there (found by tests/fuzz). Private to flatland_training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/errors.h"
#include "hdf5_handle.h"

namespace flatland::training {

// Throws DataError naming `what` when the dataset's storage cannot hold its values. Contiguous
// storage that was never written (size 0) reads as the fill value, as HDF5 means it to.
inline void checkStorageMatchesShape(hid_t dataset, const std::vector<int64_t>& shape,
                                     size_t elementSize, const std::string& what) {
  auto dcpl = h5::plist(H5Dget_create_plist(dataset));
  if (!dcpl.valid()) throw DataError(what + ": cannot read how it is stored (a damaged file?)");
  const H5D_layout_t layout = H5Pget_layout(dcpl);
  if (layout != H5D_COMPACT && layout != H5D_CONTIGUOUS) return;
  uint64_t needed = elementSize;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(needed, uint64_t(d), &needed))
      throw DataError(what + " has an impossible shape (a damaged file?)");
  const uint64_t stored = H5Dget_storage_size(dataset);
  if (stored < needed && (layout == H5D_COMPACT || stored != 0))
    throw DataError(what + " stores " + std::to_string(stored) + " bytes but its shape needs " +
                    std::to_string(needed) + " (a damaged file?)");
}

}  // namespace flatland::training
