// Model spec strings shared by the CLI and the GUI: "zoo:NAME", "model.pt",
// "project.h5:/runs/NAME[@EPOCH]".
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "flatland/training/model.h"
#include "flatland/training/specs.h"

namespace flatland::training {

// Builds or loads a model and checks that it fits the data's shape. Zoo models are initialised
// from the seed. Throws ModelError, ProjectError or InvalidArgument with an actionable message.
std::unique_ptr<Model> loadModel(const std::string& spec, const ModelShape& shape,
                                 const c10::Device& device = c10::Device(c10::kCPU),
                                 uint64_t seed = 0);

}  // namespace flatland::training
