// PCA directions of a training trajectory (Li et al., 2018, section 7): the principal components
// of θ_i − θ_final over a run's checkpoints, and the checkpoints projected onto them.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/direction.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"

namespace flatland::analysis {

// The flat parameters of a run's checkpoints, in epoch order.
struct Trajectory {
  std::vector<int64_t> epochs;
  at::Tensor points;  // float64 [T, P], CPU
};

// Loads every checkpoint of /runs/RUN into a copy of `like` (same architecture).
Trajectory loadTrajectory(const training::ProjectFile& project, const std::string& run,
                          const training::Model& like);

// The first `count` principal components of the differences θ_i − θ_final (θ_final: the last
// point), with the entries of 1-D tensors zeroed when zeroOneDim. The differences are centred
// before the decomposition, as sklearn's PCA (which the paper's code uses) does. The components
// are unit vectors; explainedVariance holds each one's share of the total variance; trajectory
// holds the least-squares coordinates of every θ_i − θ_final in the span of the components.
DirectionSet pcaDirections(const Trajectory& trajectory, const training::Model& model, int count,
                           bool zeroOneDim = true);

}  // namespace flatland::analysis
