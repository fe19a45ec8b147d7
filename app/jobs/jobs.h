// The long jobs of Flatland as plain functions over plain settings: the GUI runs them on its
// worker thread, the CLI in its main thread. This header is free of LibTorch and Qt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flatland/analysis/direction_choices.h"
#include "flatland/training/progress.h"
#include "flatland/training/train_config.h"

namespace flatland::analysis {
class WorkerGroup;
}

namespace flatland::app {

// The settings structs below are plain data. Their defaults, ranges, choices and help live in
// the settings tables (job_settings.h); a job's defaults are settings::defaults(table), which
// the CLI and the GUI both start from. The initialisers below agree with the tables (a test
// says so), so that a default-constructed struct runs the same job.

// The model and data a job works on.
struct ModelDataSettings {
  std::string model = "zoo:cnn-small";
  std::string data = "fashion-mnist:test";
  int64_t samples = 0;          // 0: all
  int64_t batchSize = 1000;     // surfaces: 0 resolves by device (resolveSurfaceBatchSize)
  std::string device = "auto";  // auto, cpu, cuda, cuda:N
  uint64_t seed = 0;
  std::string dataDir;
};

// The model and data settings with a job's own default sample count and batch size.
inline ModelDataSettings inputWith(int64_t samples, int64_t batchSize) {
  ModelDataSettings input;
  input.samples = samples;
  input.batchSize = batchSize;
  return input;
}

// The curvature of the Hessian job, indexed as curvatureNames() (job_settings.h): the Hessian
// itself, or the generalised Gauss-Newton matrix.
enum class Curvature { Hessian, Ggn };

struct HessianJobSettings {
  ModelDataSettings input = inputWith(1000, 1000);
  int64_t topK = 1;         // 0: skip
  int64_t bottomK = 0;      // 0: skip
  double tolerance = 1e-3;  // Lanczos, on the relative residual
  bool trace = false;
  int64_t traceSamples = 100;    // most Hutchinson samples
  double traceRelStderr = 0.01;  // stop once the standard error is this fraction of |trace|
  double traceStderr = 0.0;      // … or at most this (absolute; 0: off); either target stops it
  bool hutchpp = false;          // Hutch++: spends every sample, lower variance
  bool density = false;
  int64_t densitySteps = 100;  // Lanczos steps per SLQ vector
  int64_t densityVectors = 1;
  int64_t gridPoints = 10000;  // of the smoothed density
  bool perClass = false;
  double imbalance = 1.0;           // > 1: --data made long-tailed as train --imbalance makes it
  std::vector<int64_t> batchSweep;  // λ_max of random mini-batches of these sizes
  int64_t sweepRepeats = 5;
  int64_t maxCached = 5000;  // keep the first-order graph up to this many samples
  Curvature curvature = Curvature::Hessian;
  std::string projectPath = "hessian.h5";  // empty: not stored
  std::string name;                        // empty: hessian-<time>
};

struct QuantizeJobSettings {
  ModelDataSettings input;
  std::vector<int> bits = {2, 3, 4, 5, 6, 7, 8};
  // HAWQ mixed precision: > 0 picks a width per layer from per-layer Hessian traces so the
  // parameter-weighted average is at most this many bits, and evaluates that model.
  double hawqAverageBits = 0.0;
  int64_t hawqSamples = 100;  // Rademacher vectors for the per-layer traces
  std::string projectPath;    // empty: not stored
  std::string name;
};

// Input-space robustness: robust accuracy against attacks, input curvature, corruptions and
// the input-space surface around one sample.
struct RobustnessJobSettings {
  ModelDataSettings input = inputWith(1000, 500);
  std::string attacks = "fgsm,pgd";  // analysis::attackNames(), comma-separated; "none"
  std::string eps = "0.05,0.1,0.2";  // radii, in epsUnits
  training::InputUnits epsUnits = training::InputUnits::Data;
  int64_t pgdSteps = 10;
  double pgdStep = 0.25;  // as a fraction of eps
  bool noRandomStart = false;
  int64_t restarts = 1;
  bool noClamp = false;
  bool inputCurvature = false;
  int64_t curvatureSamples = 100;
  double cureStep = 0.01;
  bool corruptions = false;
  int64_t surfaceSample = -1;  // -1: no input-space surface
  double surfaceRadius = 0.0;  // 0: twice the largest eps
  int64_t surfacePoints = 41;
  std::string projectPath = "robustness.h5";  // empty: not stored
  std::string name;
};

// A loss surface around a model. Empty strings take the defaults noted; the CLI's flags and the
// GUI's form fill the same fields.
struct SurfaceJobSettings {
  // The origin and the data that fills train_loss/train_accuracy. With pca directions and an
  // empty model, the origin is the run's last checkpoint.
  // The batch size 0 resolves by device (resolveSurfaceBatchSize).
  ModelDataSettings input = inputWith(0, 0);
  std::string testData;       // also fills test_loss / test_accuracy
  int64_t pointsPerPass = 1;  // grid points per forward pass (analysis::SurfaceSettings)
  // random (filter-normalised Gaussian) | eigen (top Hessian eigenvectors) | pca (of a run's
  // checkpoints) | interp (towards `to`) | loss-landscape (`dirFile`); none: random, or the kind
  // of a reused surface.
  std::optional<analysis::DirectionKind> directions;
  // X[,Y[,Z]], each lo:hi:n; empty: analysis::defaultGridFor(the kind) (pca: around the
  // trajectory; reused directions: the surface's grid).
  std::string grid;
  std::optional<analysis::DirectionNorm> norm;   // none: filter (eigen: none)
  std::optional<analysis::OneDimPolicy> oneDim;  // none: zero (eigen: normalize)
  std::string to;                                // interp: the second model (a model spec)
  std::string dirFile;                           // loss-landscape: its direction file
  // NAME or OTHER.h5:NAME: a Hessian analysis (eigenvector directions) or a surface whose stored
  // directions are reused, so two minima are compared along the same vectors.
  std::string fromAnalysis;
  std::string run;  // pca: NAME (in the model's or the output project) or P.h5:/runs/NAME
  std::string projectPath = "surface.h5";
  std::string name;  // empty: surface-<time>; an unfinished surface of this name resumes
  // false: a surface of this name is never resumed; an existing name gets a suffix (NAME-2, …).
  // For names the user did not choose (a default made from the time).
  bool resume = true;
  double commitSeconds = 5.0;
};

struct SurfaceJobResult {
  std::string analysisPath;
  std::string grid;
  std::vector<int64_t> shape;
  int64_t points = 0;
  int64_t pointsComputed = 0;  // in this call, by every rank
  bool resumed = false;
  bool complete = false;
  double seconds = 0, lossAtOrigin = 0, lossMin = 0;
  std::string directions, norm;
  std::vector<double> explainedVariance;  // pca
  int64_t parameters = 0, samples = 0, testSamples = 0;
  int ranks = 1;
  std::vector<std::string> notes;  // what the user should know (the CLI prints, the GUI logs)
};

struct QuantizeJobResult {
  std::string analysisPath;  // empty when not stored
  double floatAccuracy = 0, floatLoss = 0;
  std::vector<int64_t> bits;
  std::vector<double> perTensorLoss, perTensorAccuracy, perChannelLoss, perChannelAccuracy;
  // HAWQ (empty when not asked for): per weight tensor its name, size, trace and bit width.
  std::vector<std::string> hawqLayers;
  std::vector<int64_t> hawqParameters, hawqBits;
  std::vector<double> hawqTraces;
  double hawqAverage = 0, hawqAccuracy = 0, hawqLoss = 0;
  double seconds = 0;
};

// Trains and records /runs/NAME; returns a one-line summary. Throws on errors that are not the
// run's own outcome; a cancelled run throws Cancelled, a diverged one NumericalError, after
// recording.
std::string runTrainJob(const training::TrainConfig& config, const std::string& projectPath,
                        const JobControl& control);

// Hessian analysis stored as /analyses/NAME; returns the analysis path (hessian_job.h has the
// variant that returns the whole report).
std::string runHessianJob(const HessianJobSettings& settings, const JobControl& control);

// Loss surface stored block by block as /analyses/NAME, or an unfinished one of that name
// resumed (after checking it was started with the same model and data). With a group of
// several ranks (mpirun) the grid is shared: the root returns the whole result, the other ranks
// only their part. A cancelled job throws Cancelled saying how to resume.
// The evaluation batch of a surface: `requested`, or when it is 0 the default for the device
// `device` resolves to (auto, cpu, cuda, cuda:N): 256 on a CPU, where small batches keep the
// activations in cache (2× faster than 2000 for cnn-small, docs/performance.md), 4096 on a GPU.
// The CLI and the GUI both leave the batch at 0 unless the user sets it.
int64_t resolveSurfaceBatchSize(int64_t requested, const std::string& device);
int64_t surfaceBatchSizeFor(bool cuda);

SurfaceJobResult runSurfaceJob(const SurfaceJobSettings& settings, const JobControl& control,
                               analysis::WorkerGroup* group = nullptr);

// Robustness analysis stored as /analyses/NAME (kind robustness); returns the analysis path
// (robustness_job.h has the variant that returns the whole report).
std::string runRobustnessJob(const RobustnessJobSettings& settings, const JobControl& control);

QuantizeJobResult runQuantizeJob(const QuantizeJobSettings& settings, const JobControl& control);

}  // namespace flatland::app
