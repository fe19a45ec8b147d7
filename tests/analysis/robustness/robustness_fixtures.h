// Small models and data for the input-space tests: 20-dimensional inputs, 3 classes.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <memory>

#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

namespace flatland::testing {

inline training::Dataset gaussianInputs(int64_t n, int64_t dims, int64_t classes, uint64_t seed,
                                        c10::ScalarType dtype = torch::kFloat) {
  auto gen = at::detail::createCPUGenerator(seed);
  training::Dataset data;
  data.inputs =
      torch::randn({n, dims}, gen, torch::TensorOptions().dtype(torch::kDouble)).to(dtype);
  data.labels = torch::randint(0, classes, {n}, gen, torch::TensorOptions().dtype(torch::kLong));
  data.numClasses = classes;
  data.spec = "test:gaussian";
  return data;
}

// Images of one channel with a pixel scale, as Fashion-MNIST has: pixels uniform in [0, 1].
inline training::Dataset pixelImages(int64_t n, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  training::Dataset data;
  const double mean = 0.3, stdev = 0.4;
  auto pixels = torch::rand({n, 1, 6, 6}, gen, torch::TensorOptions().dtype(torch::kFloat));
  data.inputs = (pixels - mean) / stdev;
  data.labels = torch::randint(0, 3, {n}, gen, torch::TensorOptions().dtype(torch::kLong));
  data.numClasses = 3;
  data.spec = "test:images";
  data.pixelMean = {mean};
  data.pixelStd = {stdev};
  return data;
}

inline std::unique_ptr<training::Model> zoo(const std::string& name, const training::Dataset& data,
                                            uint64_t seed, c10::ScalarType dtype = torch::kFloat) {
  auto model = training::makeZooModel(name, {data.sampleShape(), data.numClasses}, seed);
  model->to(c10::Device(c10::kCPU), dtype);
  model->setTraining(false);
  return model;
}

}  // namespace flatland::testing
