// The Hessian job with its whole report, for front ends that show every number (the CLI). Includes
// LibTorch types through the analysis headers: the GUI uses runHessianJob from jobs.h instead.
#pragma once

#include <string>

#include "flatland/analysis/hessian_analysis.h"
#include "flatland/analysis/worker_group.h"
#include "jobs.h"

namespace flatland::app {

struct HessianJobOutput {
  analysis::HessianReport report;
  std::string analysisPath;  // empty when not stored (or on a rank other than the root)
  std::string device;
  double seconds = 0.0;  // loading included
};

// The analysis settings the job settings stand for (validated later against model and data).
analysis::HessianSettings analysisSettingsOf(const HessianJobSettings& settings);

// Loads the inputs, validates, marks /analyses/NAME incomplete while it runs, computes and stores
// the report with every setting needed to reproduce it. With a group of several ranks the SLQ
// start vectors are shared out; only the root stores, and only its report is whole.
HessianJobOutput runHessianAnalysisJob(const HessianJobSettings& settings,
                                       const JobControl& control,
                                       analysis::WorkerGroup* group = nullptr);

}  // namespace flatland::app
