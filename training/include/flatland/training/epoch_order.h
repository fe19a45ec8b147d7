// The order in which one training epoch visits the samples.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "flatland/training/dataset.h"

namespace flatland::training {

// Rows of a streamed set read together: large enough for the disk to read ahead, small enough
// to leave memory to the model.
constexpr int64_t kStreamedShuffleBlockBytes = int64_t(64) << 20;

// A random permutation of 0 … n−1 (int64, on the CPU). An in-memory set gets a plain
// permutation. A streamed set larger than one block is shuffled in blocks of consecutive rows:
// the blocks in random order, the rows of each block in random order, so an epoch reads the
// file block by block instead of a page per sample; one block holds at least `batchSize` rows.
at::Tensor epochOrder(const Dataset& data, int64_t batchSize, at::Generator& generator);

// The same, with the block size in rows given (for tests); blockRows ≥ n is a plain permutation.
at::Tensor blockShuffledOrder(int64_t n, int64_t blockRows, at::Generator& generator);

}  // namespace flatland::training
