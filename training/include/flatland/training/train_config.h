// Every setting of a training run: optimizer, sharpness-aware method, schedule, data conditions,
// quantization, checkpoints. Plain data, so the CLI, the GUI and the project file share it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/training/attack_choices.h"

namespace flatland::training {

enum class BaseOptimizer { Sgd, AdamW };
// How the gradient handed to the base optimizer is made (see sharpness_step.h for the rules).
enum class SharpnessMethod { None, Sam, Asam, Gnp, Hero, Awp };
enum class Schedule { Constant, Step, Cosine };
enum class LossKind { CrossEntropy, Ldam, Vs };
// How quantization-aware training sets its steps. Ste: fixed rules (weights max|w|/(2^{b−1}−1)
// per channel, activations a running max) with the straight-through estimator. Lsq: the steps
// are learned (Esser et al., 2020).
enum class QatMethod { Ste, Lsq };
// The objective each step differentiates (robust_objective.h): the loss on the batch as loaded,
// or a robust one built on it. Composes with --loss (the base loss) and with --optimizer.
enum class RobustMethod { None, PgdAt, Trades, Cure, NoiseJsd, HSat, PSat };

struct RobustConfig {
  RobustMethod method = RobustMethod::None;
  InputUnits epsUnits = InputUnits::Data;  // units of eps, CURE's h and the noise sigmas
  double eps = 0.1;                        // PGD-AT and TRADES: ℓ∞ radius of the attack
  int64_t steps = 10;                      // PGD steps
  double stepFraction = 0.25;              // PGD step size as a fraction of eps
  bool noRandomStart = false;              // PGD-AT: start at x instead of uniformly in the ball
  double tradesBeta = 6.0;                 // TRADES' weight of KL(f(x) ‖ f(x')) (Zhang 2019: 6)
  double cureGamma = 4.0;   // CURE's weight γ of ‖∇ℓ(x + h z) − ∇ℓ(x)‖²
  double cureH = 0.1;       // CURE's finite-difference step h
  double jsdLambda = 12.0;  // weight of the Jensen–Shannon consistency (AugMix: 12)
  std::string noiseSigmas = "0.1,0.2,0.3";  // Gaussian noise levels, one noisy copy each
  bool noiseCe = false;                     // noise-jsd: the base loss on the noisy copies as well
  int64_t satRampEpochs = 0;  // h-sat/p-sat: epochs of the curriculum's ramp (0: half the run)
};

struct OptimizerConfig {
  BaseOptimizer base = BaseOptimizer::Sgd;
  double learningRate = 0.05;
  double momentum = 0.9;
  bool nesterov = false;
  double weightDecay = 5e-4;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // AdamW

  SharpnessMethod method = SharpnessMethod::None;
  double rho = 0.05;             // SAM/ASAM/HERO neighbourhood radius (Foret 2021: 0.05 for SGD)
  double asamEta = 0.01;         // ASAM's T_w = |w| + η (Kwon 2021)
  int64_t mSharpness = 0;        // sub-batch size m for m-sharpness; 0 = the whole batch
  bool mSharpnessAsked = false;  // "msam" was chosen: validate() then requires mSharpness > 0
  double gnpR = 0.1;             // gradient norm penalty step r (Zhao 2022)
  double gnpAlpha = 0.8;         // α = λ / r; α = 1 is SAM
  double heroLambda = 5.0;       // HERO's Hessian-penalty weight (Yang 2022)
  bool heroAdaptive = true;      // HERO perturbs adaptively, like ASAM
  double awpGamma = 5e-3;        // AWP: each layer moves by γ·‖w_layer‖ (Wu 2020: 5e-3)

  int64_t swaStartEpoch = 0;  // 0: no SWA; else average weights from this epoch (1-based) on

  Schedule schedule = Schedule::Cosine;
  int64_t warmupEpochs = 0;
  std::vector<int64_t> milestones;  // step schedule: epochs where the rate is multiplied by gamma
  double gamma = 0.1;
};

struct TrainConfig {
  std::string model = "zoo:cnn-small";
  std::string data = "fashion-mnist:train";
  std::string testData = "fashion-mnist:test";
  int64_t samples = 0;      // 0: all training samples
  int64_t testSamples = 0;  // 0: all test samples
  int64_t epochs = 5;
  int64_t batchSize = 128;
  int64_t evalBatchSize = 1000;
  OptimizerConfig optimizer;

  double labelNoise = 0.0;      // fraction of training labels replaced by a different class
  double imbalanceRatio = 1.0;  // long tail n_max / n_min; 1 = as loaded
  LossKind loss = LossKind::CrossEntropy;
  RobustConfig robust;
  int64_t drwEpoch = 0;  // deferred re-weighting from this epoch (1-based); 0 = off

  int qatBits = 0;            // fake-quantize weights to this many bits while training; 0 = off
  int qatActivationBits = 0;  // fake-quantize post-ReLU activations (unsigned); 0 = off
  QatMethod qatMethod = QatMethod::Ste;
  int64_t checkpointEvery = 1;  // epochs between checkpoints (epoch 0 and the last always kept)
  uint64_t seed = 0;
  std::string device = "auto";  // auto (CUDA when LibTorch sees a GPU, else CPU), cpu, cuda, cuda:N
  std::string runName = "run";

  // The method name as the CLI spells it: sgd, adamw, sam, asam, gnp, hero, swa, awp.
  std::string optimizerName() const;
  // JSON of every setting, stored with the run.
  std::string toJson() const;
};

// Applies a CLI-style optimizer name (sgd, adamw, sam, msam, asam, gnp, hero, swa, awp) to a
// config.
// "msam" is SAM with m-sharpness: set mSharpness as well (validate() refuses msam without it).
// Throws InvalidArgument for unknown names.
void applyOptimizerName(const std::string& name, OptimizerConfig& config);
// "ste" or "lsq", as the CLI and the project file spell them.
const char* toString(QatMethod method);
// Parses "ste" or "lsq"; throws InvalidArgument for anything else.
QatMethod parseQatMethod(const std::string& name);
// Checks ranges (positive rates and sizes, probabilities in [0, 1), …); throws InvalidArgument.
void validate(const TrainConfig& config);

}  // namespace flatland::training
