// The sharpness job with its whole report, for front ends that show every number (the CLI).
// Includes LibTorch types through the analysis headers: the GUI uses runSharpnessJob instead.
#pragma once

#include <string>

#include "flatland/analysis/generalization_table.h"
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

SharpnessJobOutput runSharpnessAnalysisJob(const SharpnessJobSettings& settings,
                                           const JobControl& control);

struct GeneralizationJobOutput {
  analysis::GeneralizationTable table;
  std::vector<std::string>
      sharpnessPaths;        // one sharpness analysis per run (empty when not stored)
  std::string analysisPath;  // the table (kind = "generalization"); empty when not stored
  double seconds = 0.0;
};

// A sharpness analysis of each run of settings.runs (stored as sharpness-RUN, or NAME-RUN), then
// the generalisation table over them (stored as NAME, or generalization-<time>).
GeneralizationJobOutput runGeneralizationJob(const SharpnessJobSettings& settings,
                                             const JobControl& control);

}  // namespace flatland::app
