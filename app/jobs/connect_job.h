// The mode-connectivity job (issue #16): two models, the straight line between them and a trained
// curve, stored as kind = "connectivity". Filled by the CLI and the GUI from connectSettings()
// (job_settings.h). Free of LibTorch and Qt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/curve_choices.h"
#include "jobs.h"

namespace flatland::app {

struct ConnectJobSettings {
  // The first model (A) and the data the curve is trained on and the paths are evaluated on.
  ModelDataSettings input = [] {
    auto input = inputWith(5000, 128);
    input.data = "fashion-mnist:train";
    return input;
  }();
  std::string to;        // the second model (B), a model spec of the same architecture
  std::string testData;  // also evaluated along the paths; empty: none
  analysis::CurveType curve = analysis::CurveType::Bezier;
  int64_t epochs = 10;  // of the bend's training
  double learningRate = 0.01;
  double momentum = 0.9;
  double weightDecay = 5e-4;
  int64_t points = 21;
  std::string projectPath = "connect.h5";
  std::string name;  // empty: connect-<time>
};

struct ConnectJobResult {
  std::string analysisPath;
  std::vector<double> t;
  std::vector<double> linearLoss, curveLoss;  // train loss along each path
  double linearBarrier = 0.0, curveBarrier = 0.0;
  std::vector<double> trainingLoss;
  int64_t samples = 0;
  double seconds = 0.0;
};

ConnectJobResult runConnectJob(const ConnectJobSettings& settings, const JobControl& control = {});

}  // namespace flatland::app
