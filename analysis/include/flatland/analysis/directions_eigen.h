// Hessian-eigenvector directions computed on the fly: the top eigenvectors of the loss Hessian on
// the surface's own data by Lanczos, for a surface that has no stored Hessian analysis to read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/hessian_operator.h"
#include "flatland/analysis/lanczos.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct EigenDirectionOptions {
  EigenOptions eigen;      // Lanczos tolerance (1e-3, as flatland-cli hessian), basis, seed
  HessianOptions hessian;  // batch size, cached/streamed, curvature
  // As for eigenvectors read from a stored analysis: unit eigenvectors unless a norm is asked.
  DirectionNorm norm = DirectionNorm::None;
  OneDimPolicy oneDim = OneDimPolicy::Normalize;
};

// The directions and what it took to compute them (stored with the surface's settings).
struct ComputedEigenDirections {
  DirectionSet set;                 // kind "eigen", `count` directions, source says "on the fly"
  std::vector<double> eigenvalues;  // descending
  double tolerance = 0.0;           // Lanczos' relative residual tolerance
  int64_t products = 0;             // Hessian-vector products
  int64_t restarts = 0;
  int64_t samples = 0;  // of the data the Hessian is taken over
  double loss = 0.0;    // mean loss at the origin on that data
  double seconds = 0.0;
};

// The `count` (1 to 3) eigenvectors of the largest eigenvalues of the Hessian of the mean loss
// of `model` over `data`, by implicitly restarted Lanczos (lanczosEigen, stage "eigen
// directions"), each with a fixed sign (its entry of largest magnitude positive, as PCA's), then
// normalised as `options` asks. The model is left as it was. Throws InvalidArgument (count out
// of range or not below the parameter count), NumericalError (Lanczos did not converge: no
// eigenvectors to use), Cancelled.
ComputedEigenDirections computeEigenDirections(training::Model& model,
                                               const training::Dataset& data, int count,
                                               const EigenDirectionOptions& options = {},
                                               const JobControl& control = {});

}  // namespace flatland::analysis
