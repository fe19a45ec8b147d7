// Robust accuracy: the attacks (flatland/training/adversarial_examples.h) against every batch.
#include "flatland/analysis/adversarial.h"

#include <torch/types.h>

#include <cmath>

#include "accuracy_tally.h"
#include "flatland/errors.h"

namespace flatland::analysis {

RobustAccuracy robustAccuracy(training::Model& model, const training::Dataset& data,
                              const InputSpace& space, const std::vector<AttackOptions>& attacks,
                              int64_t batchSize, const JobControl& control) {
  if (batchSize <= 0) throw InvalidArgument("the batch size must be positive");
  training::EvalModeScope evalMode(model);
  const auto device = model.device();
  const int64_t n = data.size();
  AccuracyTally clean(data.numClasses);
  std::vector<AccuracyTally> tallies(attacks.size(), AccuracyTally(data.numClasses));
  const int64_t batches = (n + batchSize - 1) / batchSize;
  int64_t done = 0;
  for (int64_t start = 0; start < n; start += batchSize) {
    const int64_t end = std::min(n, start + batchSize);
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    {
      torch::NoGradGuard noGrad;
      clean.addLogits(model.forward(x), y);
    }
    for (size_t a = 0; a < attacks.size(); ++a) {
      control.throwIfCancelled();
      auto options = attacks[a];
      options.seed = attacks[a].seed + uint64_t(start);  // each batch its own random starts
      auto adversarial = adversarialBatch(model, space, x, y, options);
      torch::NoGradGuard noGrad;
      tallies[a].addLogits(model.forward(adversarial), y);
      const double fraction = double(done * int64_t(attacks.size()) + int64_t(a) + 1) /
                              double(batches * int64_t(attacks.size()));
      control.report(ProgressEvent{fraction, "attacks", {}});
    }
    ++done;
  }
  RobustAccuracy out;
  out.samples = n;
  out.cleanAccuracy = clean.accuracy();
  out.cleanLoss = clean.loss();
  out.cleanPerClassAccuracy = clean.perClassAccuracy();
  for (size_t a = 0; a < attacks.size(); ++a) {
    AttackResult r;
    r.kind = attacks[a].kind;
    r.eps = attacks[a].eps;
    r.accuracy = tallies[a].accuracy();
    r.loss = tallies[a].loss();
    r.perClassAccuracy = tallies[a].perClassAccuracy();
    out.attacks.push_back(r);
  }
  return out;
}

}  // namespace flatland::analysis
