// A whole Hessian analysis as one job: extreme eigenpairs, trace, spectral density, per-class
// spectra and the mini-batch sweep, and how it is stored in the project file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/density.h"
#include "flatland/analysis/hessian_operator.h"
#include "flatland/analysis/lanczos.h"
#include "flatland/analysis/provenance.h"
#include "flatland/analysis/trace_estimator.h"
#include "flatland/training/project_file.h"

namespace flatland::analysis {

// What runHessianAnalysis computes. The defaults here serve direct callers (tests, benchmarks);
// a Hessian job's defaults, ranges and help are the rows of hessianSettings() in
// app/jobs/job_settings.cpp, mapped onto these fields by app::analysisSettingsOf.
struct HessianSettings {
  int64_t topK = 1;     // 0: skip
  int64_t bottomK = 0;  // 0: skip
  EigenOptions eigen;   // tolerance, basis size, seed
  bool trace = false;
  TraceOptions traceOptions;
  bool density = false;
  DensityOptions densityOptions;
  bool perClass = false;
  // Mini-batch λ_max (Granziol et al., 2022): for each batch size, `sweepRepeats` random batches
  // drawn without replacement; empty: skip.
  std::vector<int64_t> batchSweep;
  int64_t sweepRepeats = 5;
  HessianOptions hessian;
  uint64_t seed = 0;  // drives every random vector and batch draw
};

// Results for one operator (the whole set or one class).
struct SpectrumReport {
  int64_t samples = 0;
  double loss = 0.0;
  EigenResult top, bottom;  // empty values when not requested
  bool hasTrace = false;
  TraceResult trace;
  bool hasDensity = false;
  SpectralDensity density;
  int64_t hvpCount = 0;
  double seconds = 0.0;
};

struct ClassSpectrum {
  int64_t classIndex = 0;
  std::string className;
  int64_t count = 0;
  SpectrumReport spectrum;
};

struct BatchSweepReport {
  std::vector<int64_t> batchSizes;
  std::vector<std::vector<double>> lambdaMax;  // [size][repeat]
  std::vector<double> mean, std;               // std: sample standard deviation (n − 1)
  double lambdaMaxFull = 0.0;
  int64_t hvpCount = 0;
  double seconds = 0.0;
};

struct HessianReport {
  int64_t parameters = 0;
  std::string curvature = "hessian";       // or "ggn"
  std::string traceMethod = "hutchinson";  // or "hutch++"
  SpectrumReport full;
  std::vector<ClassSpectrum> perClass;
  BatchSweepReport sweep;  // empty batchSizes when not requested
  int64_t hvpCount = 0;    // over the whole job
  double seconds = 0.0;
};

// Eigenpairs, trace and density of any symmetric operator as `settings` asks (no per-class, no
// sweep): the core the Hessian job runs once for the data set and once per class.
SpectrumReport analyzeSpectrum(const SymmetricOperator& op, const HessianSettings& settings,
                               const JobControl& control = {});

// Validates settings against the model and data before any work: k < P, batch sizes within the
// data, budgets positive. Throws InvalidArgument naming the setting.
void validateHessianSettings(const HessianSettings& settings, const training::Model& model,
                             const training::Dataset& data);

// The whole job. Per-class spectra: one HessianOperator over each class's samples (every class
// must have samples, else InvalidArgument naming it). Reports progress (fraction of the whole
// job, HVPs so far) and can be cancelled between products.
HessianReport runHessianAnalysis(training::Model& model, const training::Dataset& data,
                                 const HessianSettings& settings, const JobControl& control = {});

// λ_max of mini-batch Hessians (see HessianSettings::batchSweep); lambdaMaxFull is filled by the
// caller when known.
BatchSweepReport batchSweep(training::Model& model, const training::Dataset& data,
                            const HessianSettings& settings, const JobControl& control = {});

// The project-file group of a report (docs/project-file.md, kind = "hessian"), with the
// provenance attributes and complete = 1.
training::Node hessianNode(const HessianReport& report, const Provenance& provenance);

}  // namespace flatland::analysis
