// Model checkpoints in the project file: /runs/NAME/checkpoints/epoch_NNNN/{parameters,buffers}.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "flatland/training/model.h"
#include "flatland/training/project_file.h"

namespace flatland::training {

// Group name of a checkpoint: epoch_0007 (zero-padded so h5ls lists them in order).
std::string checkpointName(int64_t epoch);
// "/runs/RUN/checkpoints" and "/runs/RUN/checkpoints/epoch_NNNN".
std::string checkpointsPath(const std::string& run);
std::string checkpointPath(const std::string& run, int64_t epoch);

// The parameters and buffers of a model as a project-file group, one dataset per tensor.
Node checkpointNode(const Model& model, int64_t epoch);
// Writes a checkpoint's tensors into a model of the same architecture (matched by name).
void loadCheckpoint(Model& model, const Node& checkpoint);

// Epochs of the checkpoints stored for a run, ascending.
std::vector<int64_t> checkpointEpochs(const ProjectFile& project, const std::string& runName);

}  // namespace flatland::training
