#include "flatland/training/epoch_order.h"

#include <torch/types.h>

#include <algorithm>
#include <vector>

#include "flatland/errors.h"

namespace flatland::training {

at::Tensor blockShuffledOrder(int64_t n, int64_t blockRows, at::Generator& generator) {
  if (blockRows < 1)
    throw InvalidArgument("a shuffle block needs at least one row, got " +
                          std::to_string(blockRows));
  if (blockRows >= n) return torch::randperm(n, generator, torch::kInt64);
  const int64_t blocks = (n + blockRows - 1) / blockRows;
  const auto blockOrder = torch::randperm(blocks, generator, torch::kInt64);
  std::vector<at::Tensor> parts;
  parts.reserve(size_t(blocks));
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t start = blockOrder[i].item<int64_t>() * blockRows;
    const int64_t rows = std::min(blockRows, n - start);
    parts.push_back(torch::randperm(rows, generator, torch::kInt64) + start);
  }
  return torch::cat(parts);
}

at::Tensor epochOrder(const Dataset& data, int64_t batchSize, at::Generator& generator) {
  const int64_t n = data.size();
  if (!data.streamed || n == 0) return torch::randperm(n, generator, torch::kInt64);
  const int64_t rowBytes = data.inputs.numel() / n * int64_t(data.inputs.element_size());
  const int64_t blockRows =
      std::max(batchSize, kStreamedShuffleBlockBytes / std::max<int64_t>(1, rowBytes));
  return blockShuffledOrder(n, blockRows, generator);
}

}  // namespace flatland::training
