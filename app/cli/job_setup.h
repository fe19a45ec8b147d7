// Loads the model and data a job names, on the device it asks for. Includes LibTorch: only the
// command files that run jobs include this header.
#pragma once

#include <c10/core/Device.h>

#include <memory>

#include "cli_context.h"
#include "flatland/training/dataset.h"
#include "flatland/training/device.h"
#include "flatland/training/model.h"

namespace flatland::cli {

// "auto", "cpu", "cuda", "cuda:N" → a device (see flatland/training/device.h).
using training::parseDevice;

struct JobSetup {
  c10::Device device = c10::Device(c10::kCPU);
  training::Dataset data;
  std::unique_ptr<training::Model> model;
};

JobSetup loadJob(const JobOptions& options);

}  // namespace flatland::cli
