#include "flatland/training/epoch_order.h"

#include <torch/types.h>

#include <algorithm>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/host_memory.h"

namespace flatland::training {

at::Tensor blockShuffledOrder(int64_t n, int64_t blockRows, int64_t windowBlocks,
                              at::Generator& generator) {
  if (blockRows < 1 || windowBlocks < 1)
    throw InvalidArgument("a shuffle window needs at least one block of one row, got " +
                          std::to_string(windowBlocks) + " blocks of " + std::to_string(blockRows) +
                          " rows");
  const int64_t blocks = (n + blockRows - 1) / blockRows;
  if (blocks <= windowBlocks) return torch::randperm(n, generator, torch::kInt64);
  const auto blockOrder = torch::randperm(blocks, generator, torch::kInt64);
  std::vector<at::Tensor> parts;
  for (int64_t first = 0; first < blocks; first += windowBlocks) {
    // The rows of this window's blocks, shuffled together.
    std::vector<at::Tensor> rows;
    for (int64_t b = first; b < std::min(blocks, first + windowBlocks); ++b) {
      const int64_t start = blockOrder[b].item<int64_t>() * blockRows;
      rows.push_back(torch::arange(start, std::min(n, start + blockRows), torch::kInt64));
    }
    const auto window = torch::cat(rows);
    parts.push_back(
        window.index_select(0, torch::randperm(window.numel(), generator, torch::kInt64)));
  }
  return torch::cat(parts);
}

at::Tensor epochOrder(const Dataset& data, int64_t batchSize, at::Generator& generator) {
  const int64_t n = data.size();
  const uint64_t bytes = uint64_t(data.inputs.numel()) * uint64_t(data.inputs.element_size());
  if (!data.streamed || n == 0 || bytes <= usableMemoryBytes())
    return torch::randperm(n, generator, torch::kInt64);
  const int64_t rowBytes = int64_t(bytes / uint64_t(n));
  const int64_t blockRows =
      std::max(batchSize, kStreamedShuffleBlockBytes / std::max<int64_t>(1, rowBytes));
  return blockShuffledOrder(n, blockRows, kStreamedShuffleWindowBlocks, generator);
}

}  // namespace flatland::training
