// Seeded synthetic classification sets for tests and quick demos.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"
#include "flatland/training/dataset.h"

namespace flatland::training {

namespace {

// Three interleaved spiral arms in the plane: not linearly separable, cheap to learn with an MLP.
Dataset spirals(int64_t n, at::Generator& gen) {
  constexpr int64_t kClasses = 3;
  auto labels = torch::arange(n, torch::kInt64) % kClasses;
  auto t = torch::rand({n}, gen, torch::kFloat64);
  auto radius = t;
  auto angle = t * 4.0 + labels.to(torch::kFloat64) * (2.0 * M_PI / kClasses);
  auto noise = torch::randn({n, 2}, gen, torch::kFloat64) * 0.05;
  auto x = torch::stack({radius * torch::cos(angle), radius * torch::sin(angle)}, 1) + noise;
  Dataset data;
  data.inputs = x.to(torch::kFloat32);
  data.labels = labels;
  data.numClasses = kClasses;
  data.classNames = {"arm 0", "arm 1", "arm 2"};
  return data;
}

// Four Gaussian blobs in 8 dimensions: an easy, nearly separable set. The centres are the same
// for every seed (the seed draws the samples), so two seeds make a training and a test set of
// one task.
Dataset blobs(int64_t n, at::Generator& gen) {
  constexpr int64_t kClasses = 4, kDim = 8;
  auto centresGen = at::detail::createCPUGenerator(20261124);
  auto centres = torch::randn({kClasses, kDim}, centresGen, torch::kFloat64) * 2.0;
  auto labels = torch::arange(n, torch::kInt64) % kClasses;
  auto x = centres.index_select(0, labels) + torch::randn({n, kDim}, gen, torch::kFloat64);
  Dataset data;
  data.inputs = x.to(torch::kFloat32);
  data.labels = labels;
  data.numClasses = kClasses;
  data.classNames = {"blob 0", "blob 1", "blob 2", "blob 3"};
  return data;
}

}  // namespace

Dataset makeSynthetic(const std::string& name, int64_t samples, uint64_t seed) {
  if (samples <= 0)
    throw InvalidArgument("a synthetic set needs at least one sample, got " +
                          std::to_string(samples));
  // Ten million 8-D samples take 400 MB; more is a typo rather than a study.
  constexpr int64_t kMaxSamples = 10'000'000;
  if (samples > kMaxSamples)
    throw InvalidArgument("a synthetic set holds at most " + std::to_string(kMaxSamples) +
                          " samples, got " + std::to_string(samples) +
                          " (for larger data sets use an h5:FILE data set)");
  auto gen = at::detail::createCPUGenerator(seed);
  if (name == "spirals") return spirals(samples, gen);
  if (name == "blobs") return blobs(samples, gen);
  throw InvalidArgument("unknown synthetic set '" + name + "' (spirals or blobs)");
}

}  // namespace flatland::training
