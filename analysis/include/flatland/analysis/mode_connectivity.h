// Mode connectivity (Garipov et al. 2018; Draxler et al. 2018): the loss along a path between two
// trained models, the straight line and a curve whose bend is trained so the whole path has low
// loss (t drawn uniformly from [0, 1] at every step, the gradient reaching the bend through
// ∂φ/∂θ). Models with BatchNorm get statistics recomputed at every evaluated point, endpoints
// included, so every point of a path is treated alike.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "flatland/analysis/curve_choices.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"
#include "flatland/training/project_file.h"

namespace flatland::analysis {

// The point φ(t) = from·A + bend·θ + to·B of a curve; the weights sum to 1.
struct CurveWeights {
  double from = 1.0, bend = 0.0, to = 0.0;
};
CurveWeights curveWeights(CurveType type, double t);

struct ConnectOptions {
  CurveType curve = CurveType::Bezier;
  int64_t epochs = 10;  // of the bend's training (none for linear)
  int64_t batchSize = 128;
  double learningRate = 0.01;
  double momentum = 0.9;
  double weightDecay = 5e-4;  // on the bend, as on a model (Garipov et al.)
  int64_t points = 21;        // evaluated t = 0, 1/(points − 1), …, 1
  int64_t evalBatchSize = 1024;
  uint64_t seed = 0;  // batch order and the t of each step
};

// Loss and accuracy along one path at the evaluated t (test values empty without test data).
struct PathValues {
  std::vector<double> trainLoss, trainAccuracy, testLoss, testAccuracy;
  double barrier = 0.0;  // barrierOf(trainLoss)
};

struct ConnectResult {
  std::vector<double> t;
  PathValues linear;
  PathValues curve;                  // the trained curve; a copy of linear for CurveType::Linear
  std::vector<double> trainingLoss;  // mean loss of each epoch of the bend's training
  // θ as a checkpoint holds a model (BatchNorm statistics recomputed for θ's weights), so it
  // loads as a model of its own; empty for linear.
  training::Node bend;
  double seconds = 0.0;
};

// The largest value minus the mean of the first and the last (0 for a flat path).
double barrierOf(const std::vector<double>& losses);

// Connects `from` (A) and `to` (B), which must have the same architecture; ModelError otherwise.
// `from` is the working model: its parameters and buffers move along the paths and come back at
// the end, also when the job is cancelled or fails. Reports progress; throws Cancelled, and
// NumericalError for a non-finite loss while training the bend.
ConnectResult connectModels(training::Model& from, const training::Model& to,
                            const training::Dataset& train, const training::Dataset* test,
                            const ConnectOptions& options, const JobControl& control = {});

}  // namespace flatland::analysis
