// The sharpness job and the rescaling job (issue #16): their plain settings, filled by the CLI and
// the GUI from sharpnessSettings() and rescaleSettings() (job_settings.h). Free of LibTorch and Qt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/perturbation_norm.h"
#include "jobs.h"

namespace flatland::app {

struct SharpnessJobSettings {
  ModelDataSettings input = inputWith(1000, 1000);  // the data the measures are taken on
  std::string testData;                             // empty: no generalisation gap
  std::string runs;  // NAME,NAME or P.h5:/runs/NAME,…: the generalisation table of these
  std::vector<double> rho = {0.01, 0.05, 0.1};       // worst-case and random-direction radii
  std::vector<double> sigma = {0.001, 0.005, 0.01};  // Gaussian average-case σ
  analysis::PerturbationNorm norm = analysis::PerturbationNorm::L2;  // of the worst-case ball
  bool adaptive = false;  // ASAM's δ = T_w z, T_w = |w| + η
  double asamEta = 0.01;
  int64_t m = 0;                   // m-sharpness sub-batch (0: the whole set)
  int64_t steps = 10;              // ascent steps
  double stepSize = 0.5;           // fraction of ρ per step
  int64_t draws = 10;              // random draws per σ and ρ, and for PAC-Bayes
  double pacBayesThreshold = 0.1;  // 0: skip
  int64_t pacBayesIterations = 20;
  int64_t traceSamples = 50;
  int64_t relativeFlatnessSamples = 20;  // 0: exact
  bool noHessian = false, noFisherRao = false, noRelativeFlatness = false;
  std::string projectPath = "sharpness.h5";  // empty: not stored
  std::string name;                          // empty: sharpness-<time>
};

// Stores the analysis as /analyses/NAME (kind = "sharpness"); returns its path. With `runs`, the
// generalisation table of those runs instead (runGeneralizationJob); returns its path.
std::string runSharpnessJob(const SharpnessJobSettings& settings, const JobControl& control);

// "a,b" or "P.h5:/runs/a,…" → model specs of the runs (a bare name is a run of `project`);
// throws InvalidArgument for an empty entry or fewer than two runs.
std::vector<std::string> runModelSpecs(const std::string& runs, const std::string& project);

struct RescaleJobSettings {
  // The data gives the model's input shape and the samples checked.
  ModelDataSettings input = inputWith(100, 1000);
  std::string layer;  // a module prefix, e.g. layers.1
  double alpha = 2.0;
  std::string projectPath;  // the project the rescaled model is written to
  std::string run = "rescaled";
};

struct RescaleJobResult {
  std::string model;  // PROJECT.h5:/runs/RUN, loadable by every --model
  std::string weight, bias, next;
  double maxOutputChange = 0.0;  // max |Δ logits| / max |logits| over the checked samples
};

// Writes the model with `layer`'s weight and bias scaled by α and the next layer's weight by 1/α
// as a run with one checkpoint (epoch 0). Throws ModelError when the outputs change (the layer is
// not followed by a ReLU), ProjectError when the run exists.
RescaleJobResult runRescaleJob(const RescaleJobSettings& settings);

}  // namespace flatland::app
