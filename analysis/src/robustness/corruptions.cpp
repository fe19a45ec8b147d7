#include "flatland/analysis/corruptions.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include "accuracy_tally.h"
#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

constexpr int64_t kNoiseBlock = 256;

const std::vector<std::vector<double>>& constants() {
  static const std::vector<std::vector<double>> c = {
      {0.04, 0.06, 0.08, 0.09, 0.10},  // gaussian_noise: σ
      {500, 250, 100, 75, 50},         // shot_noise: photons per unit intensity
      {0.01, 0.02, 0.03, 0.05, 0.07},  // impulse_noise: fraction of values
      {0.06, 0.10, 0.12, 0.16, 0.20},  // speckle_noise: σ of the multiplicative noise
  };
  return c;
}

size_t indexOf(const std::string& name) {
  const auto& names = corruptionNames();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  throw InvalidArgument("unknown corruption '" + name +
                        "' (gaussian_noise, shot_noise, impulse_noise, speckle_noise)");
}

}  // namespace

const std::vector<std::string>& corruptionNames() {
  static const std::vector<std::string> names = {"gaussian_noise", "shot_noise", "impulse_noise",
                                                 "speckle_noise"};
  return names;
}

double corruptionConstant(const std::string& name, int severity) {
  const size_t i = indexOf(name);
  if (severity < 1 || severity > kCorruptionSeverities)
    throw InvalidArgument("corruption severities are 1 to 5, got " + std::to_string(severity));
  return constants()[i][size_t(severity - 1)];
}

at::Tensor corruptPixels(const at::Tensor& pixels, const std::string& name, int severity,
                         at::Generator& generator) {
  const double c = corruptionConstant(name, severity);
  const auto x = pixels.to(torch::kCPU, torch::kDouble);
  const auto options = torch::TensorOptions().dtype(torch::kDouble);
  at::Tensor out;
  switch (indexOf(name)) {
    case 0:
      out = x + c * torch::randn(x.sizes(), generator, options);
      break;
    case 1:
      out = at::poisson(x.clamp_min(0) * c, generator) / c;
      break;
    case 2: {
      auto pick = torch::rand(x.sizes(), generator, options) < c;
      auto salt = torch::rand(x.sizes(), generator, options) < 0.5;
      out = torch::where(pick, salt.to(torch::kDouble), x);
      break;
    }
    default:
      out = x + x * c * torch::randn(x.sizes(), generator, options);
  }
  return out.clamp(0.0, 1.0).to(pixels.options());
}

CorruptionAccuracy corruptionAccuracy(training::Model& model, const training::Dataset& data,
                                      const InputSpace& space, int64_t batchSize, uint64_t seed,
                                      const JobControl& control) {
  if (batchSize <= 0) throw InvalidArgument("the batch size must be positive");
  training::EvalModeScope evalMode(model);
  torch::NoGradGuard noGrad;
  const auto device = model.device();
  const auto& names = corruptionNames();
  CorruptionAccuracy out;
  out.names = names;
  const int64_t n = data.size();
  const double runs = double(names.size() * kCorruptionSeverities);
  double sum = 0.0;
  AccuracyTally clean(data.numClasses);
  for (size_t k = 0; k < names.size(); ++k) {
    out.accuracy.emplace_back();
    out.loss.emplace_back();
    for (int severity = 1; severity <= kCorruptionSeverities; ++severity) {
      // One generator per (corruption, severity): any one can be reproduced alone.
      auto generator = at::detail::createCPUGenerator(seed + 1000 * k + uint64_t(severity));
      AccuracyTally tally(data.numClasses);
      // Noise is drawn for fixed blocks of samples, so the table does not depend on the batch size.
      for (int64_t block = 0; block < n; block += kNoiseBlock) {
        control.throwIfCancelled();
        const int64_t blockEnd = std::min(n, block + kNoiseBlock);
        auto pixels = space.dataToPixels(data.inputs.slice(0, block, blockEnd));
        auto corrupted = space.pixelsToData(corruptPixels(pixels, names[k], severity, generator));
        for (int64_t start = block; start < blockEnd; start += batchSize) {
          const int64_t end = std::min(blockEnd, start + batchSize);
          auto x = corrupted.slice(0, start - block, end - block).to(device, model.dtype());
          auto y = data.labels.slice(0, start, end).to(device);
          tally.addLogits(model.forward(x), y);
          if (k == 0 && severity == 1)
            clean.addLogits(
                model.forward(data.inputs.slice(0, start, end).to(device, model.dtype())), y);
        }
      }
      out.accuracy.back().push_back(tally.accuracy());
      out.loss.back().push_back(tally.loss());
      sum += tally.accuracy();
      control.report(ProgressEvent{
          double(k * kCorruptionSeverities + size_t(severity)) / runs, "corruptions", {}});
    }
  }
  out.meanAccuracy = sum / runs;
  out.cleanAccuracy = clean.accuracy();
  return out;
}

}  // namespace flatland::analysis
