// The sharpness measures of one model as one job: worst-case and random-direction profiles over
// radii ρ, Gaussian average-case sharpness over σ, PAC-Bayes flatness, λ_max and the trace (from
// the Hessian engine), the Fisher–Rao norm, relative flatness, weight norms and the
// generalisation gap; and how it is stored (kind = "sharpness", docs/project-file.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flatland/analysis/average_sharpness.h"
#include "flatland/analysis/fisher_rao_norm.h"
#include "flatland/analysis/hessian_analysis.h"
#include "flatland/analysis/pac_bayes_flatness.h"
#include "flatland/analysis/provenance.h"
#include "flatland/analysis/relative_flatness.h"
#include "flatland/analysis/weight_norms.h"
#include "flatland/analysis/worst_case_sharpness.h"

namespace flatland::analysis {

// The defaults serve direct callers; a job's defaults, ranges and help are the rows of
// sharpnessSettings() (app/jobs/sharpness_settings.cpp).
struct SharpnessSettings {
  std::vector<double> radii = {0.01, 0.05,
                               0.1};  // worst case and random directions; empty: skip both
  std::vector<double> sigmas = {0.001, 0.005, 0.01};  // Gaussian; empty: skip
  WorstCaseOptions worstCase;                         // its rho is set per radius
  AverageCaseOptions average;                         // draws, seed
  double pacBayesThreshold = 0.1;                     // 0: skip
  int64_t pacBayesIterations = 20;
  bool hessian = true;  // λ_max (Lanczos) and the trace (Hutchinson)
  int64_t traceSamples = 50;
  bool fisherRao = true;
  bool relativeFlatness = true;
  int64_t relativeFlatnessSamples = 20;  // 0: exact
  int64_t batchSize = 1000;
  uint64_t seed = 0;
};

struct SharpnessReport {
  int64_t parameters = 0, samples = 0;
  double loss = 0.0, accuracy = 0.0;
  std::vector<WorstCaseResult> worstCase;           // one per radius
  std::vector<RandomDirectionPoint> randomProfile;  // one per radius
  std::vector<GaussianSharpness> gaussian;          // one per σ
  std::optional<PacBayesFlatness> pacBayes;
  bool hasHessian = false;
  double lambdaMax = 0.0, trace = 0.0, traceStderr = 0.0;
  bool lambdaMaxConverged = false;
  std::optional<FisherRaoNorm> fisherRao;
  std::optional<RelativeFlatness> relativeFlatness;
  WeightNorms weightNorms;
  bool hasTest = false;
  double testLoss = 0.0, testAccuracy = 0.0;
  double gapLoss = 0.0, gapAccuracy = 0.0;  // test − train loss, train − test accuracy
  std::string norm = "l2";
  bool adaptive = false;
  int64_t m = 0;
  double seconds = 0.0;
};

// Validates before any work (InvalidArgument naming the setting); reports progress by stage and
// can be cancelled between evaluations. `test` (may be null) gives the generalisation gap.
SharpnessReport runSharpnessAnalysis(training::Model& model, const training::Dataset& data,
                                     const training::Dataset* test,
                                     const SharpnessSettings& settings,
                                     const JobControl& control = {});

training::Node sharpnessNode(const SharpnessReport& report, const Provenance& provenance);

}  // namespace flatland::analysis
