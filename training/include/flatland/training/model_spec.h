// Model spec strings shared by the CLI and the GUI: "zoo:NAME", "model.pt",
// "project.h5:/runs/NAME[@EPOCH]".
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "flatland/training/model.h"

namespace flatland::training {

struct ModelSpec {
  enum class Kind { Zoo, TorchScript, Checkpoint };
  Kind kind = Kind::Zoo;
  std::string name;              // zoo name, TorchScript path, or project file
  std::string run;               // run name (checkpoint)
  std::optional<int64_t> epoch;  // checkpoint epoch; latest when empty
  std::string text;

  static ModelSpec parse(const std::string& text);  // throws InvalidArgument
};

// Builds or loads a model and checks that it fits the data's shape. Zoo models are initialised
// from the seed. Throws ModelError, ProjectError or InvalidArgument with an actionable message.
std::unique_ptr<Model> loadModel(const std::string& spec, const ModelShape& shape,
                                 const c10::Device& device = c10::Device(c10::kCPU),
                                 uint64_t seed = 0);

}  // namespace flatland::training
