// The long jobs of Flatland as plain functions over plain settings: the GUI runs them on its
// worker thread, the CLI in its main thread. This header is free of LibTorch and Qt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/training/progress.h"
#include "flatland/training/train_config.h"

namespace flatland::app {

// The model and data a job works on.
struct ModelDataSettings {
  std::string model = "zoo:cnn-small";
  std::string data = "fashion-mnist:test";
  int64_t samples = 0;  // 0: all
  int64_t batchSize = 1000;
  std::string device = "auto";  // auto, cpu, cuda, cuda:N
  uint64_t seed = 0;
  std::string dataDir;
};

struct HessianJobSettings {
  ModelDataSettings input;
  int64_t topK = 5;
  int64_t bottomK = 0;
  double tolerance = 1e-3;
  bool trace = true;
  bool density = true;
  bool perClass = false;
  std::vector<int64_t> batchSweep;
  std::string projectPath;
  std::string name;  // empty: hessian-<time>
};

struct QuantizeJobSettings {
  ModelDataSettings input;
  std::vector<int> bits = {2, 3, 4, 5, 6, 7, 8};
  // HAWQ mixed precision: > 0 picks a width per layer from per-layer Hessian traces so the
  // parameter-weighted average is at most this many bits, and evaluates that model.
  double hawqAverageBits = 0.0;
  int64_t hawqSamples = 100;  // Rademacher vectors for the per-layer traces
  std::string projectPath;  // empty: not stored
  std::string name;
};

struct SurfaceJobSettings {
  ModelDataSettings input;       // the origin model and the data whose loss is mapped
  std::string testData;          // also map the test loss when given
  std::string directions = "random";  // random | eigen | pca | interp
  std::string grid = "-1:1:21,-1:1:21";
  std::string norm = "filter";   // filter | layer | none
  std::string from;              // eigen: Hessian analysis; pca: run; interp: the second model
  std::string projectPath;
  std::string name;              // empty: surface-<time>
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

// Hessian analysis stored as /analyses/NAME; returns the analysis path.
std::string runHessianJob(const HessianJobSettings& settings, const JobControl& control);

// Loss surface stored block by block as /analyses/NAME; returns the analysis path.
std::string runSurfaceJob(const SurfaceJobSettings& settings, const JobControl& control);

QuantizeJobResult runQuantizeJob(const QuantizeJobSettings& settings, const JobControl& control);

}  // namespace flatland::app
