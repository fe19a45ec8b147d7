#include "flatland/training/train_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "flatland/errors.h"
#include "flatland/training/attack_choices.h"
#include "flatland/training/train_settings.h"

namespace flatland::training {

std::string TrainConfig::optimizerName() const {
  switch (optimizer.method) {
    case SharpnessMethod::Sam:
      return toString(optimizer.mSharpness > 0 ? OptimizerName::Msam : OptimizerName::Sam);
    case SharpnessMethod::Asam:
      return toString(OptimizerName::Asam);
    case SharpnessMethod::Gnp:
      return toString(OptimizerName::Gnp);
    case SharpnessMethod::Hero:
      return toString(OptimizerName::Hero);
    case SharpnessMethod::Awp:
      return toString(OptimizerName::Awp);
    case SharpnessMethod::None:
      break;
  }
  if (optimizer.swaStartEpoch > 0) return toString(OptimizerName::Swa);
  return toString(optimizer.base == BaseOptimizer::AdamW ? OptimizerName::AdamW
                                                         : OptimizerName::Sgd);
}

void applyOptimizerName(const std::string& name, OptimizerConfig& config) {
  const OptimizerName parsed = parseOptimizerName(name);
  switch (parsed) {
    case OptimizerName::Sgd:
      config.base = BaseOptimizer::Sgd;
      break;
    case OptimizerName::AdamW:
      config.base = BaseOptimizer::AdamW;
      break;
    case OptimizerName::Sam:
    case OptimizerName::Msam:
      config.method = SharpnessMethod::Sam;
      config.mSharpnessAsked = parsed == OptimizerName::Msam;
      break;
    case OptimizerName::Asam:
      config.method = SharpnessMethod::Asam;
      break;
    case OptimizerName::Gnp:
      config.method = SharpnessMethod::Gnp;
      break;
    case OptimizerName::Hero:
      config.method = SharpnessMethod::Hero;
      break;
    case OptimizerName::Awp:
      config.method = SharpnessMethod::Awp;
      break;
    case OptimizerName::Swa:
      if (config.swaStartEpoch == 0) config.swaStartEpoch = -1;  // resolved to 75% of the epochs
      break;
  }
}

const char* toString(QatMethod method) { return qatMethodNames().at(size_t(method)).c_str(); }

QatMethod parseQatMethod(const std::string& name) {
  if (name == "ste") return QatMethod::Ste;
  if (name == "lsq") return QatMethod::Lsq;
  throw InvalidArgument(
      "unknown QAT method '" + name +
      "' (ste: fixed steps with the straight-through estimator; lsq: learned steps)");
}

void validate(const TrainConfig& c) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw InvalidArgument(message);
  };
  const auto& o = c.optimizer;
  require(c.epochs >= 1, "--epochs must be at least 1");
  require(c.batchSize >= 1, "--batch-size must be at least 1");
  require(o.learningRate > 0, "--lr must be positive");
  require(o.momentum >= 0 && o.momentum < 1, "--momentum must be in [0, 1)");
  require(o.weightDecay >= 0, "--weight-decay must not be negative");
  require(o.rho > 0, "--rho must be positive");
  require(o.gnpR > 0, "--gnp-r must be positive");
  require(o.gnpAlpha >= 0 && o.gnpAlpha <= 1, "--gnp-alpha must be in [0, 1]");
  require(o.heroLambda >= 0, "--hero-lambda must not be negative");
  require(o.awpGamma > 0 && o.awpGamma <= 1, "--awp-gamma must be in (0, 1]");
  require(o.mSharpness >= 0 && (o.mSharpness == 0 || o.mSharpness <= c.batchSize),
          "--m must be between 1 and the batch size (0 turns m-sharpness off)");
  // Without m, msam would silently be plain SAM (m = 0 perturbs with the whole batch).
  require(!o.mSharpnessAsked || o.mSharpness > 0,
          "--optimizer msam needs --m, the sub-batch size for m-sharpness (e.g. --m " +
              std::to_string(std::max<int64_t>(1, c.batchSize / 4)) + " for --batch-size " +
              std::to_string(c.batchSize) +
              ", a quarter of the batch); without it use --optimizer sam");
  require(c.labelNoise >= 0 && c.labelNoise < 1, "--label-noise must be in [0, 1)");
  require(c.imbalanceRatio >= 1, "--imbalance must be at least 1 (n_max / n_min)");
  require(c.qatBits == 0 || (c.qatBits >= 2 && c.qatBits <= 8),
          "--qat-bits must be between 2 and 8");
  require(c.qatActivationBits == 0 || (c.qatActivationBits >= 2 && c.qatActivationBits <= 8),
          "--qat-act-bits must be between 2 and 8 (0 turns activation quantization off)");
  require(c.qatMethod != QatMethod::Lsq || c.qatBits > 0 || c.qatActivationBits > 0,
          "--qat-method lsq learns quantization steps: also give --qat-bits and/or --qat-act-bits");
  require(c.checkpointEvery >= 1, "--checkpoint-every must be at least 1");
  require(o.swaStartEpoch <= c.epochs, "--swa-start must not exceed --epochs");
  require(o.warmupEpochs >= 0 && o.warmupEpochs < c.epochs, "--warmup must be below --epochs");
  require(!c.runName.empty(), "--run must name the run");
  const auto& r = c.robust;
  require(r.eps > 0, "--adv-eps must be positive");
  require(r.steps >= 1, "--adv-steps must be at least 1");
  require(r.stepFraction > 0, "--adv-step must be positive");
  require(r.tradesBeta >= 0, "--trades-beta must not be negative");
  require(r.cureGamma >= 0, "--cure-gamma must not be negative");
  require(r.cureH > 0, "--cure-h must be positive");
  require(r.jsdLambda >= 0, "--jsd-lambda must not be negative");
  require(r.satRampEpochs >= 0, "--sat-ramp must not be negative (0: half the epochs)");
  if (r.method == RobustMethod::NoiseJsd) parsePositiveList(r.noiseSigmas, "--noise-sigmas");
  // HERO differentiates the objective's weight gradient once more; CURE's penalty already holds
  // an input gradient, and a third derivative of the network is not worth its cost.
  require(!(r.method == RobustMethod::Cure && o.method == SharpnessMethod::Hero),
          "--robust cure does not combine with --optimizer hero (a third derivative); use sam, "
          "asam or gnp");
}

std::string TrainConfig::toJson() const {
  nlohmann::json j = nlohmann::json::object();
  settings::addStored(trainSettings(), *this, j);
  return j.dump();
}

}  // namespace flatland::training
