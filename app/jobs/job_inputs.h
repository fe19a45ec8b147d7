// Loading the model and data a job names, on the device it asks for. Includes LibTorch types:
// only files that run jobs include it.
#pragma once

#include <c10/core/Device.h>

#include <memory>
#include <optional>
#include <string>

#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "jobs.h"

namespace flatland::app {

struct LoadedInputs {
  c10::Device device = c10::Device(c10::kCPU);
  training::Dataset data;
  std::unique_ptr<training::Model> model;
};

// Resolves the device ("auto" → CUDA when available), loads the data (first N samples when
// asked) onto it, and builds or loads the model checked against the data's shape.
LoadedInputs loadInputs(const ModelDataSettings& settings);

// A second data set of the same task (first N samples as for --data, on the same device), or
// nothing for an empty spec. Throws InvalidArgument when its samples or classes differ.
std::optional<training::Dataset> loadTestData(const std::string& spec,
                                              const ModelDataSettings& settings,
                                              const LoadedInputs& inputs);

}  // namespace flatland::app
