// The order in which one training epoch visits the samples.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

#include "flatland/training/dataset.h"

namespace flatland::training {

// Rows of a streamed set read together: large enough for the disk to read ahead, small enough
// that a window of them leaves memory to the model.
constexpr int64_t kStreamedShuffleBlockBytes = int64_t(32) << 20;
// Blocks shuffled together: a batch mixes rows of this many places in the file, so a file sorted
// by class still gives mixed batches.
constexpr int64_t kStreamedShuffleWindowBlocks = 8;

// A random permutation of 0 … n−1 (int64, on the CPU). A set held in memory, or mapped from a
// file that fits in the memory this process may use (the pages stay cached after the first
// epoch), gets a plain permutation. A mapped set larger than that is shuffled by windows: its
// blocks of consecutive rows in random order, each window of kStreamedShuffleWindowBlocks blocks
// shuffled row by row, so an epoch reads the file a window at a time instead of a page per
// sample. A block holds at least `batchSize` rows.
at::Tensor epochOrder(const Dataset& data, int64_t batchSize, at::Generator& generator);

// The windowed shuffle with its sizes in rows and blocks given (for tests); one window as large
// as the set is a plain permutation.
at::Tensor blockShuffledOrder(int64_t n, int64_t blockRows, int64_t windowBlocks,
                              at::Generator& generator);

}  // namespace flatland::training
