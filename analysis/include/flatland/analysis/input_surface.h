// The loss around one sample in input space, on the plane of the adversarial direction
// (the gradient's sign) and a random direction orthogonal to it, as in CURE's figures.
#pragma once

#include <cstdint>
#include <vector>

#include "flatland/analysis/input_space.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct InputSurfaceOptions {
  int64_t sample = 0;   // index into the data
  double radius = 0.2;  // the axes run over [−radius, radius]
  int64_t points = 41;  // per axis
  uint64_t seed = 0;    // the random direction
};

struct InputSurface {
  int64_t sample = 0, label = 0;
  std::vector<double> axis;          // points values in [−radius, radius]
  std::vector<double> loss;          // points × points, row-major: [adversarial][random]
  std::vector<int64_t> predictions;  // the predicted class at each point
  // The sample (pixels in [0, 1] when the data has a pixel scale, else as loaded), its shape.
  std::vector<float> image;
  std::vector<int64_t> imageShape;
  // Both directions have the ℓ2 norm of a sign vector (√n), so a step of t along the first is an
  // ℓ∞ step of t: the axis reads like FGSM's ε.
  double directionNorm = 0.0;
};

// Points on the plane u + a·d₁ + b·d₂ (u: the sample in the space's units; not clamped, so the
// shape of the loss shows beyond the valid range too), in eval mode.
InputSurface inputSurface(training::Model& model, const training::Dataset& data,
                          const InputSpace& space, const InputSurfaceOptions& options,
                          int64_t batchSize, const JobControl& control = {});

}  // namespace flatland::analysis
