// Directions in parameter space for loss surfaces: random with filter normalisation (Li et al.,
// 2018), Hessian eigenvectors, interpolation between two models; stored in the project file.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/direction_choices.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"

namespace flatland::analysis {

// One direction: a flat vector over the trainable parameters (model order) and, for
// interpolations, displacements of the floating-point buffers (BatchNorm statistics) by name.
struct Direction {
  at::Tensor parameters;                       // float32 [P] on the CPU
  std::vector<training::NamedTensor> buffers;  // empty: the buffers stay at the origin's
};

// The directions of one surface and what they came from.
struct DirectionSet {
  DirectionKind kind = DirectionKind::Random;
  DirectionNorm norm = DirectionNorm::Filter;
  std::vector<Direction> directions;
  // PCA only: explained variance ratio of each component, the checkpoints projected onto the
  // directions ([T, k], float64) and their epochs.
  std::vector<double> explainedVariance;
  at::Tensor trajectory;
  std::vector<int64_t> trajectoryEpochs;
  std::string source;  // where the directions came from (analysis path, run, "to" model spec)
};

// Scales a flat direction against the model's weights (a new tensor; the input is unchanged).
at::Tensor normalizeDirection(const at::Tensor& direction, const training::Model& model,
                              DirectionNorm norm, OneDimPolicy oneDim = OneDimPolicy::Zero);

// `count` Gaussian directions drawn from one generator seeded with `seed` (reproducible on any
// device), then normalised.
DirectionSet randomDirections(const training::Model& model, int count, uint64_t seed,
                              DirectionNorm norm = DirectionNorm::Filter,
                              OneDimPolicy oneDim = OneDimPolicy::Zero);

// The norms of the slices along dim 0 of each parameter tensor of a flat vector (one tensor per
// parameter; 1-D parameters give one norm per entry).
std::vector<at::Tensor> filterNorms(const training::Model& model, const at::Tensor& flat);

// The first `count` rows of top_eigenvectors of a stored kind="hessian" analysis.
DirectionSet eigenDirections(const training::ProjectFile& project, const std::string& analysisPath,
                             const training::Model& model, int count,
                             DirectionNorm norm = DirectionNorm::None,
                             OneDimPolicy oneDim = OneDimPolicy::Normalize);

// θ_to − θ_from over parameters and floating-point buffers both: the surface point α is
// the model (1 − α)·from + α·to.
DirectionSet interpolationDirection(const training::Model& from, const training::Model& to);

// Stores the directions as the `directions/` group (and `trajectory/` for PCA) of a node.
void addDirectionsTo(training::Node& analysis, const DirectionSet& directions);
// Reads the directions of a stored surface analysis; checks they fit the model.
DirectionSet readDirections(const training::ProjectFile& project, const std::string& analysisPath,
                            const training::Model& model);

// "NAME" → "/analyses/NAME" (schema::analysisPath); a path starting with '/' is kept.
std::string analysisPathOf(const std::string& nameOrPath);

}  // namespace flatland::analysis
