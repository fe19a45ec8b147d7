// Loads the model and data a job names, on the device it asks for. Includes LibTorch: only the
// command files that run jobs include this header.
#pragma once

#include <c10/core/Device.h>

#include <memory>

#include "cli_context.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

namespace flatland::cli {

// "auto" picks CUDA when LibTorch sees a GPU, else the CPU; "cpu", "cuda", "cuda:N" as given.
c10::Device parseDevice(const std::string& text);

struct JobSetup {
  c10::Device device = c10::Device(c10::kCPU);
  training::Dataset data;
  std::unique_ptr<training::Model> model;
};

JobSetup loadJob(const JobOptions& options);

}  // namespace flatland::cli
