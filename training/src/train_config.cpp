#include "flatland/training/train_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "flatland/errors.h"

namespace flatland::training {

std::string TrainConfig::optimizerName() const {
  switch (optimizer.method) {
    case SharpnessMethod::Sam: return optimizer.mSharpness > 0 ? "msam" : "sam";
    case SharpnessMethod::Asam: return "asam";
    case SharpnessMethod::Gnp: return "gnp";
    case SharpnessMethod::Hero: return "hero";
    case SharpnessMethod::None: break;
  }
  if (optimizer.swaStartEpoch > 0) return "swa";
  return optimizer.base == BaseOptimizer::AdamW ? "adamw" : "sgd";
}

void applyOptimizerName(const std::string& name, OptimizerConfig& config) {
  if (name == "sgd") {
    config.base = BaseOptimizer::Sgd;
  } else if (name == "adamw") {
    config.base = BaseOptimizer::AdamW;
  } else if (name == "sam" || name == "msam") {
    config.method = SharpnessMethod::Sam;
    config.mSharpnessAsked = name == "msam";
  } else if (name == "asam") {
    config.method = SharpnessMethod::Asam;
  } else if (name == "gnp") {
    config.method = SharpnessMethod::Gnp;
  } else if (name == "hero") {
    config.method = SharpnessMethod::Hero;
  } else if (name == "swa") {
    if (config.swaStartEpoch == 0) config.swaStartEpoch = -1;  // resolved to 75% of the epochs
  } else {
    throw InvalidArgument("unknown optimizer '" + name + "' (sgd, adamw, sam, msam, asam, gnp, hero, swa)");
  }
}

const char* toString(QatMethod method) { return method == QatMethod::Lsq ? "lsq" : "ste"; }

QatMethod parseQatMethod(const std::string& name) {
  if (name == "ste") return QatMethod::Ste;
  if (name == "lsq") return QatMethod::Lsq;
  throw InvalidArgument("unknown QAT method '" + name +
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
  require(o.mSharpness >= 0 && (o.mSharpness == 0 || o.mSharpness <= c.batchSize),
          "--m must be between 1 and the batch size (0 turns m-sharpness off)");
  // Without m, msam would silently be plain SAM (m = 0 perturbs with the whole batch).
  require(!o.mSharpnessAsked || o.mSharpness > 0,
          "--optimizer msam needs --m, the sub-batch size for m-sharpness (e.g. --m " +
              std::to_string(std::max<int64_t>(1, c.batchSize / 4)) + " for --batch-size " +
              std::to_string(c.batchSize) + ", a quarter of the batch); without it use --optimizer sam");
  require(c.labelNoise >= 0 && c.labelNoise < 1, "--label-noise must be in [0, 1)");
  require(c.imbalanceRatio >= 1, "--imbalance must be at least 1 (n_max / n_min)");
  require(c.qatBits == 0 || (c.qatBits >= 2 && c.qatBits <= 8), "--qat-bits must be between 2 and 8");
  require(c.qatActivationBits == 0 || (c.qatActivationBits >= 2 && c.qatActivationBits <= 8),
          "--qat-act-bits must be between 2 and 8 (0 turns activation quantization off)");
  require(c.qatMethod != QatMethod::Lsq || c.qatBits > 0 || c.qatActivationBits > 0,
          "--qat-method lsq learns quantization steps: also give --qat-bits and/or --qat-act-bits");
  require(c.checkpointEvery >= 1, "--checkpoint-every must be at least 1");
  require(o.swaStartEpoch <= c.epochs, "--swa-start must not exceed --epochs");
  require(o.warmupEpochs >= 0 && o.warmupEpochs < c.epochs, "--warmup must be below --epochs");
  require(!c.runName.empty(), "--run must name the run");
}

std::string TrainConfig::toJson() const {
  const auto& o = optimizer;
  const char* schedules[] = {"constant", "step", "cosine"};
  const char* losses[] = {"ce", "ldam", "vs"};
  nlohmann::json j = {
      {"model", model}, {"data", data}, {"test_data", testData}, {"samples", samples},
      {"test_samples", testSamples}, {"epochs", epochs}, {"batch_size", batchSize},
      {"optimizer", optimizerName()},
      {"base", o.base == BaseOptimizer::Sgd ? "sgd" : "adamw"}, {"lr", o.learningRate},
      {"momentum", o.momentum}, {"nesterov", o.nesterov}, {"weight_decay", o.weightDecay},
      {"rho", o.rho}, {"asam_eta", o.asamEta}, {"m", o.mSharpness}, {"gnp_r", o.gnpR},
      {"gnp_alpha", o.gnpAlpha}, {"hero_lambda", o.heroLambda}, {"swa_start", o.swaStartEpoch},
      {"schedule", schedules[int(o.schedule)]}, {"warmup", o.warmupEpochs},
      {"milestones", o.milestones}, {"gamma", o.gamma}, {"label_noise", labelNoise},
      {"imbalance", imbalanceRatio}, {"loss", losses[int(loss)]}, {"drw_epoch", drwEpoch},
      {"qat_bits", qatBits}, {"qat_act_bits", qatActivationBits},
      {"qat_method", toString(qatMethod)}, {"checkpoint_every", checkpointEvery}, {"seed", seed},
      {"device", device}, {"run", runName}};
  return j.dump();
}

}  // namespace flatland::training
