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

class ProjectFile;

// The checkpoint epoch a checkpoint spec loads: its @EPOCH, checked to exist, or the run's latest.
// Throws ProjectError when the run or the checkpoint is missing.
int64_t resolveCheckpointEpoch(const ProjectFile& project, const ModelSpec& spec);

// What the spec resolves to now (see ModelIdentity): reads the run's checkpoint list for a
// checkpoint spec, hashes the whole file for a TorchScript one, nothing for a zoo model.
// Throws ProjectError or ModelError when the file cannot be read.
ModelIdentity identifyModel(const std::string& spec);

// 64-bit FNV-1a of a file's bytes (Fowler, Noll & Vo); throws ModelError when it cannot be read.
uint64_t fileFnv1a64(const std::string& path);

}  // namespace flatland::training
