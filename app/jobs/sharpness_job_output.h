// The sharpness job with its whole report, for front ends that show every number (the CLI).
// Includes LibTorch types through the analysis headers: the GUI uses runSharpnessJob instead.
#pragma once

#include <string>

#include "flatland/analysis/sharpness_analysis.h"
#include "sharpness_job.h"

namespace flatland::app {

struct SharpnessJobOutput {
  analysis::SharpnessReport report;
  std::string analysisPath;  // empty when not stored
  std::string device;
  int64_t testSamples = 0;
  double seconds = 0.0;  // loading included
};

analysis::SharpnessSettings analysisSettingsOf(const SharpnessJobSettings& settings);

SharpnessJobOutput runSharpnessAnalysisJob(const SharpnessJobSettings& settings, const JobControl& control);

}  // namespace flatland::app
