// One robustness analysis of a model on a data set: robust accuracy against attacks and radii,
// per-sample input curvature, corruption accuracy and the input-space surface around a sample,
// and the project-file node (kind = "robustness", docs/project-file.md) that stores it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flatland/analysis/adversarial.h"
#include "flatland/analysis/corruptions.h"
#include "flatland/analysis/input_curvature.h"
#include "flatland/analysis/input_surface.h"
#include "flatland/analysis/provenance.h"

namespace flatland::analysis {

struct RobustnessSettings {
  std::vector<AttackKind> attacks = {AttackKind::Fgsm, AttackKind::PgdLinf};
  std::vector<double> eps = {0.05, 0.1, 0.2};
  int64_t pgdSteps = 10;
  double pgdStepFraction = 0.25;
  bool randomStart = true;
  int64_t restarts = 1;
  InputUnits units = InputUnits::Data;
  bool clamp = true;
  int64_t batchSize = 500;
  bool inputCurvature = false;
  int64_t curvatureSamples = 100;  // the first K samples
  InputCurvatureOptions curvature;
  bool corruptions = false;
  std::optional<InputSurfaceOptions> surface;  // the input-space surface around one sample
  uint64_t seed = 0;
};

struct RobustnessReport {
  RobustAccuracy robust;
  std::optional<InputCurvature> curvature;
  std::optional<CorruptionAccuracy> corruptions;
  std::optional<InputSurface> surface;
  std::string units;  // "data" or "pixel"
  bool clamped = false;
  std::vector<std::string> classNames;  // may be empty (h5: data)
  int64_t numClasses = 0;
  double seconds = 0.0;
};

// Checks what can be checked before the work starts (radii, counts, units against the data).
void validateRobustnessSettings(const RobustnessSettings& settings, const training::Dataset& data);

// Runs every part asked for; progress runs over the whole analysis.
RobustnessReport runRobustnessAnalysis(training::Model& model, const training::Dataset& data,
                                       const RobustnessSettings& settings,
                                       const JobControl& control = {});

// Summaries of the per-sample curvature: mean and median overall, per class (NaN without
// samples), and over correctly and wrongly classified samples.
struct CurvatureSummary {
  double mean = 0, median = 0;
  std::vector<double> perClassMean;
  double correctMean = 0, wrongMean = 0;
  int64_t correct = 0, wrong = 0;
};
CurvatureSummary summarize(const std::vector<double>& values, const InputCurvature& curvature,
                           int64_t numClasses);

training::Node robustnessNode(const RobustnessReport& report, const Provenance& provenance);

}  // namespace flatland::analysis
