// Noise corruptions of images at five severities, with the constants of CIFAR-10-C (Hendrycks
// and Dietterich, 2019; make_cifar_c.py), applied to pixels in [0, 1], and the accuracy under each.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/input_space.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

// gaussian_noise, shot_noise, impulse_noise, speckle_noise.
const std::vector<std::string>& corruptionNames();
inline constexpr int kCorruptionSeverities = 5;

// The corrupted pixels (clipped to [0, 1]) of a batch of pixels, drawn from `generator` (a CPU
// generator; the noise is drawn on the CPU so results do not depend on the device).
//  gaussian_noise: x + N(0, c²),        c = 0.04, 0.06, 0.08, 0.09, 0.10
//  shot_noise:     Poisson(c x) / c,    c = 500, 250, 100, 75, 50
//  impulse_noise:  a fraction c of the values set to 0 or 1 (half each), c = 0.01, 0.02, 0.03,
//  0.05, 0.07 speckle_noise:  x + x · N(0, c²),    c = 0.06, 0.10, 0.12, 0.16, 0.20
// severity is 1 to 5; throws InvalidArgument for an unknown name or severity.
at::Tensor corruptPixels(const at::Tensor& pixels, const std::string& name, int severity,
                         at::Generator& generator);
double corruptionConstant(const std::string& name, int severity);

struct CorruptionAccuracy {
  std::vector<std::string> names;                   // corruptionNames()
  std::vector<std::vector<double>> accuracy, loss;  // [corruption][severity − 1]
  double meanAccuracy = 0.0;                        // over every corruption and severity
  double cleanAccuracy = 0.0;
};

// Accuracy and loss under every corruption and severity, in eval mode. For data without a pixel
// scale (h5:) the corruptions are applied to the values as stored, read as [0, 1] pixels.
CorruptionAccuracy corruptionAccuracy(training::Model& model, const training::Dataset& data,
                                      const InputSpace& space, int64_t batchSize, uint64_t seed,
                                      const JobControl& control = {});

}  // namespace flatland::analysis
