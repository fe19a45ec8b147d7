#include "flatland/training/data_conditions.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>

#include "flatland/errors.h"

namespace flatland::training {

LabelNoiseRecord applyLabelNoise(Dataset& data, double rate, uint64_t seed) {
  if (rate < 0 || rate >= 1) throw InvalidArgument("the label-noise rate must be in [0, 1)");
  if (data.numClasses < 2) throw InvalidArgument("label noise needs at least 2 classes");
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t n = data.size();
  const auto count = static_cast<int64_t>(std::floor(rate * double(n)));
  auto chosen = std::get<0>(torch::randperm(n, gen, torch::kInt64).slice(0, 0, count).sort());
  auto labels = data.labels.cpu().clone();
  auto original = labels.index_select(0, chosen);
  // Adding 1 … C−1 modulo C gives every other class with equal probability.
  auto shift = torch::randint(1, data.numClasses, {count}, gen, torch::kInt64);
  labels.index_put_({chosen}, (original + shift) % data.numClasses);
  data.labels = labels.to(data.labels.device());
  return {chosen, original};
}

Dataset makeLongTail(const Dataset& data, double ratio, uint64_t seed) {
  if (ratio < 1) throw InvalidArgument("the imbalance ratio must be at least 1");
  if (ratio == 1) return data;
  auto counts = data.classCounts();
  const int64_t classes = data.numClasses;
  const int64_t nMax = *std::min_element(counts.begin(), counts.end());
  if (nMax == 0)
    throw InvalidArgument("a class of " + data.spec + " has no samples; cannot make a long tail");
  auto gen = at::detail::createCPUGenerator(seed);
  auto labels = data.labels.cpu();
  std::vector<at::Tensor> keep;
  for (int64_t c = 0; c < classes; ++c) {
    const double exponent = classes > 1 ? double(c) / double(classes - 1) : 0.0;
    const auto nc =
        std::max<int64_t>(1, int64_t(std::floor(double(nMax) * std::pow(1.0 / ratio, exponent))));
    auto members = torch::nonzero(labels == c).flatten();
    auto order = torch::randperm(members.numel(), gen, torch::kInt64).slice(0, 0, nc);
    keep.push_back(members.index_select(0, order));
  }
  auto indices = std::get<0>(torch::cat(keep).sort());
  return data.select(indices);
}

}  // namespace flatland::training
