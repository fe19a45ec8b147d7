// The robustness job with its whole report, for front ends that show every number (the CLI).
// Includes LibTorch types through the analysis headers: the GUI uses runRobustnessJob (jobs.h).
#pragma once

#include <string>

#include "flatland/analysis/robustness_analysis.h"
#include "jobs.h"

namespace flatland::app {

struct RobustnessJobOutput {
  analysis::RobustnessReport report;
  std::string analysisPath;  // empty when not stored
  std::string device;
  double seconds = 0.0;  // loading included
};

// The analysis settings the job settings stand for; throws InvalidArgument for bad lists.
analysis::RobustnessSettings robustnessSettingsOf(const RobustnessJobSettings& settings);

// Loads the inputs, validates, marks /analyses/NAME incomplete while it runs, computes and
// stores the report with every setting needed to reproduce it.
RobustnessJobOutput runRobustnessAnalysisJob(const RobustnessJobSettings& settings,
                                             const JobControl& control);

}  // namespace flatland::app
