// Inputs of an h5: data set mapped from the file instead of read into memory, so a set larger
// than the machine's memory streams: the kernel reads the pages a batch touches and can drop them
// again (they are clean file pages, not anonymous memory). Private to flatland_training.
#pragma once

#include <ATen/core/Tensor.h>
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace flatland::training {

// A float32 tensor of `shape` (the first shape[0] rows of the dataset) over a private, read-only
// in effect (copy-on-write) mapping of `path`, or nullopt when the dataset is better read by
// HDF5: not contiguous (chunked or compressed), not little-endian float32, not fully stored
// (never written, or damaged), or at an address that is not 4-byte aligned. Throws DataError when
// the file is shorter than the dataset or the mapping fails.
std::optional<at::Tensor> mapContiguousFloat32(hid_t dataset, const std::string& path,
                                               const std::vector<int64_t>& shape);

}  // namespace flatland::training
