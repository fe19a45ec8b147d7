#include "flatland/training/train_settings.h"

#include <algorithm>

#include "flatland/errors.h"
#include "flatland/training/attack_choices.h"

// The settings tables read best one setting to a line or two; clang-format would give each
// field of a setting its own line.
// clang-format off

namespace flatland::training {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

template <class Enum>
Enum parseName(const std::vector<std::string>& names, const std::string& name, const char* what) {
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw InvalidArgument("unknown " + std::string(what) + " '" + name + "' (" + joined(names) + ")");
  return Enum(it - names.begin());
}

using settings::Setting;
using settings::Type;

template <class Access>
settings::BoundSetting<TrainConfig> field(Setting s, Access access) {
  return settings::bind<TrainConfig>(std::move(s), access);
}

// A choice stored as an enum: the names are the table's choices, the enum its index.
template <class Access>
settings::BoundSetting<TrainConfig> choice(Setting s, const std::vector<std::string>& names, Access access) {
  s.type = Type::Choice;
  s.choices = names;
  return settings::bindChoice<TrainConfig>(std::move(s), access);
}

// The settings only some methods read, and those methods' names (the GUI greys the rest out).
template <class Enum>
Setting::Condition when(const char* key, const std::vector<Enum>& values) {
  Setting::Condition condition{key, {}};
  for (Enum v : values) condition.values.push_back(toString(v));
  return condition;
}
Setting::Condition whenOptimizer(const std::vector<OptimizerName>& names) { return when("optimizer", names); }
Setting::Condition whenRobust(const std::vector<RobustMethod>& methods) { return when("robust", methods); }

const std::string kDataHelp = "fashion-mnist:train|test, cifar10:DIR:train|test, h5:FILE, synthetic:spirals|blobs";

settings::SettingsTable<TrainConfig> makeTable() {
  using T = Type;
  settings::SettingsTable<TrainConfig> t;
  t.push_back(field({"model", T::Text, "zoo:cnn-small", 0, 0, false, "", {},
                     "zoo:NAME, a TorchScript .pt file, or PROJECT.h5:/runs/NAME[@EPOCH]", "Model"},
                    [](auto& c) -> auto& { return c.model; }));
  t.push_back(field({"data", T::Text, "fashion-mnist:train", 0, 0, false, "", {}, "training data: " + kDataHelp, "Data"},
                    [](auto& c) -> auto& { return c.data; }));
  t.push_back(field({"test_data", T::Text, "fashion-mnist:test", 0, 0, false, "", {}, "test data: " + kDataHelp,
                     "Test data"},
                    [](auto& c) -> auto& { return c.testData; }));
  // The GUI starts with 5000 samples so a first Run stays short on a laptop CPU.
  t.push_back(field({"samples", T::Integer, "0", 0, 1e9, false, "samples", {},
                     "use the first N training samples (0: all)", "Samples", "5000"},
                    [](auto& c) -> auto& { return c.samples; }));
  // The GUI derives it from the training samples (a fifth, at least 1000).
  auto testSamples = field({"test_samples", T::Integer, "0", 0, 1e9, false, "samples", {},
                            "use the first N test samples (0: all)", "Test samples"},
                           [](auto& c) -> auto& { return c.testSamples; });
  testSamples.where = settings::InCli | settings::Stored;
  t.push_back(testSamples);

  settings::BoundSetting<TrainConfig> optimizer;
  static_cast<Setting&>(optimizer) =
      Setting{"optimizer", T::Choice, "sgd", 0, 0, false, "", optimizerNames(),
              "the method: plain SGD or AdamW, or a sharpness-aware one over --base; msam needs --m; awp: "
              "adversarial weight perturbation (Wu 2020), with --robust pgd-at or trades as in the paper",
              "Optimizer"};
  optimizer.get = [](const TrainConfig& c) { return c.optimizerName(); };
  optimizer.set = [](TrainConfig& c, const std::string& text) { applyOptimizerName(text, c.optimizer); };
  t.push_back(optimizer);

  settings::BoundSetting<TrainConfig> base;
  static_cast<Setting&>(base) =
      Setting{"base", T::Choice, "", 0, 0, false, "", {toString(OptimizerName::Sgd), toString(OptimizerName::AdamW)},
              "base optimizer under sam/asam/gnp/hero/swa/awp: the step the method's gradient takes",
              "Base optimizer"};
  base.get = [](const TrainConfig& c) {
    return std::string(toString(c.optimizer.base == BaseOptimizer::Sgd ? OptimizerName::Sgd : OptimizerName::AdamW));
  };
  base.set = [](TrainConfig& c, const std::string& text) {
    if (!text.empty()) applyOptimizerName(text, c.optimizer);
  };
  base.readWhen = whenOptimizer({OptimizerName::Sam, OptimizerName::Msam, OptimizerName::Asam, OptimizerName::Gnp,
                                 OptimizerName::Hero, OptimizerName::Swa, OptimizerName::Awp});
  t.push_back(base);

  // The GUI starts at 3 epochs: a first Run gives a curve in a minute.
  t.push_back(field({"epochs", T::Integer, "5", 1, 100000, false, "epochs", {}, "epochs to train", "Epochs", "3"},
                    [](auto& c) -> auto& { return c.epochs; }));
  auto lr = field({"lr", T::Real, "0.05", 0, 1e6, true, "", {}, "learning rate", "Learning rate"},
                  [](auto& c) -> auto& { return c.optimizer.learningRate; });
  lr.decimals = 5;
  t.push_back(lr);
  t.push_back(field({"batch_size", T::Integer, "128", 1, 1 << 20, false, "samples", {}, "samples per step",
                     "Batch size"},
                    [](auto& c) -> auto& { return c.batchSize; }));
  auto momentum = field({"momentum", T::Real, "0.9", 0, 0.999, false, "", {}, "SGD momentum", "Momentum"},
                        [](auto& c) -> auto& { return c.optimizer.momentum; });
  momentum.decimals = 3;
  t.push_back(momentum);
  t.push_back(field({"nesterov", T::Flag, "false", 0, 0, false, "", {}, "Nesterov momentum", "Nesterov momentum"},
                    [](auto& c) -> auto& { return c.optimizer.nesterov; }));
  auto weightDecay = field({"weight_decay", T::Real, "0.0005", 0, 1, false, "", {}, "weight decay", "Weight decay"},
                           [](auto& c) -> auto& { return c.optimizer.weightDecay; });
  weightDecay.decimals = 6;
  t.push_back(weightDecay);
  t.push_back(choice({"schedule", T::Choice, "cosine", 0, 0, false, "", {}, "learning-rate schedule",
                                "Schedule"},
                               scheduleNames(), [](auto& c) -> auto& { return c.optimizer.schedule; }));
  t.push_back(field({"warmup", T::Integer, "0", 0, 100000, false, "epochs", {},
                     "epochs of linear warm-up before the schedule starts", "Warm-up epochs"},
                    [](auto& c) -> auto& { return c.optimizer.warmupEpochs; }));
  t.push_back(field({"milestones", T::IntegerList, "", 1, 100000, false, "epochs", {},
                     "epochs where a step schedule multiplies the rate by --gamma, e.g. 30,60", "Milestones"},
                    [](auto& c) -> auto& { return c.optimizer.milestones; }));
  t.back().readWhen = when("schedule", std::vector{Schedule::Step});
  t.push_back(field({"gamma", T::Real, "0.1", 0, 1, false, "", {}, "factor of a step schedule at each milestone",
                     "\u03b3 (step schedule)"},
                    [](auto& c) -> auto& { return c.optimizer.gamma; }));
  t.back().readWhen = when("schedule", std::vector{Schedule::Step});
  t.push_back(field({"rho", T::Real, "0.05", 0, 10, true, "", {},
                     "SAM/ASAM/HERO neighbourhood radius (Foret 2021: 0.05 for SGD)", "\u03c1 (SAM family)"},
                    [](auto& c) -> auto& { return c.optimizer.rho; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Sam, OptimizerName::Msam, OptimizerName::Asam, OptimizerName::Hero});
  t.push_back(field({"asam_eta", T::Real, "0.01", 0, 1, false, "", {}, "ASAM's T_w = |w| + \u03b7 (Kwon 2021)",
                     "ASAM \u03b7"},
                    [](auto& c) -> auto& { return c.optimizer.asamEta; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Asam, OptimizerName::Hero});
  t.push_back(field({"m", T::Integer, "0", 0, 1 << 20, false, "samples", {},
                     "m-sharpness sub-batch size, required by --optimizer msam (e.g. a quarter of --batch-size; "
                     "the GUI's 0 means that quarter)",
                     "m (m-sharpness)"},
                    [](auto& c) -> auto& { return c.optimizer.mSharpness; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Msam});
  t.push_back(field({"gnp_r", T::Real, "0.1", 0, 10, true, "", {}, "gradient norm penalty step r (Zhao 2022)", "GNP r"},
                    [](auto& c) -> auto& { return c.optimizer.gnpR; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Gnp});
  t.push_back(field({"gnp_alpha", T::Real, "0.8", 0, 1, false, "", {},
                     "gradient norm penalty: \u03b1 = \u03bb / r; \u03b1 = 1 is SAM (Zhao 2022)", "GNP \u03b1"},
                    [](auto& c) -> auto& { return c.optimizer.gnpAlpha; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Gnp});
  t.push_back(field({"hero_lambda", T::Real, "5", 0, 1000, false, "", {}, "HERO's Hessian-penalty weight (Yang 2022)",
                     "HERO \u03bb"},
                    [](auto& c) -> auto& { return c.optimizer.heroLambda; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Hero});
  t.push_back(field({"awp_gamma", T::Real, "0.005", 0, 1, true, "", {},
                     "awp: each weight matrix or filter bank moves by gamma times its norm, along its gradient "
                     "(Wu 2020: 5e-3)",
                     "AWP γ"},
                    [](auto& c) -> auto& { return c.optimizer.awpGamma; }));
  t.back().readWhen = whenOptimizer({OptimizerName::Awp});
  auto swaStart = field({"swa_start", T::Integer, "0", 0, 100000, false, "epochs", {},
                         "first epoch averaged by SWA (0: 75% of the epochs)", "SWA from epoch"},
                        [](auto& c) -> auto& { return c.optimizer.swaStartEpoch; });
  // 0 keeps what --optimizer swa chose (-1: 75% of the epochs, resolved by the trainer).
  swaStart.set = [](TrainConfig& c, const std::string& text) {
    int64_t epoch = 0;
    settings::parse(text, epoch);
    if (epoch > 0 || c.optimizer.swaStartEpoch >= 0) c.optimizer.swaStartEpoch = epoch;
  };
  swaStart.readWhen = whenOptimizer({OptimizerName::Swa});
  t.push_back(swaStart);
  t.push_back(field({"label_noise", T::Real, "0", 0, 0.99, false, "", {},
                     "fraction of training labels flipped to another class", "Label noise"},
                    [](auto& c) -> auto& { return c.labelNoise; }));
  t.push_back(field({"imbalance", T::Real, "1", 1, 1000, false, "", {}, "long-tail ratio n_max/n_min (1: as loaded)",
                     "Long tail ratio"},
                    [](auto& c) -> auto& { return c.imbalanceRatio; }));
  t.push_back(choice({"loss", T::Choice, "ce", 0, 0, false, "", {},
                                "ce: cross-entropy; ldam: label-distribution-aware margins (Cao 2019); vs: vector "
                                "scaling (Kini 2021)",
                                "Loss"},
                               lossNames(), [](auto& c) -> auto& { return c.loss; }));
  t.push_back(choice(
      {"robust", T::Choice, "none", 0, 0, false, "", {},
       "robust training, on top of --loss (the base loss) and any --optimizer: pgd-at: train on PGD-linf "
       "adversarial examples (Madry 2018); trades: base loss + beta KL(f(x) || f(x')), x' by PGD on the KL "
       "(Zhang 2019); cure: base loss + gamma ||grad l(x + h z) - grad l(x)||^2, z the normalised gradient sign "
       "(Moosavi-Dezfooli 2019); noise-jsd: base loss + lambda JS divergence among predictions on x and on "
       "Gaussian-noise copies (AugMix-style); h-sat, p-sat: smooth adversarial training (Sitawarin 2021), "
       "PGD-AT with a curriculum over --sat-ramp epochs: h-sat ramps eps from 0 (the adversarial loss's "
       "Hessian lambda_max grows with eps), p-sat stops each sample's attack once its label's softmax "
       "probability falls below a target lowered from 1 to 0. Attacks are crafted in eval mode",
       "Robust training"},
      robustMethodNames(), [](auto& c) -> auto& { return c.robust.method; }));
  t.push_back(choice({"eps_units", T::Choice, "data", 0, 0, false, "", {},
                     "units of --adv-eps, --cure-h and --noise-sigmas: data (the units the data is loaded in, "
                     "standardised for built-in sets) or pixel ([0, 1] before normalisation; fashion-mnist, "
                     "cifar10), as flatland-cli robustness has them. Perturbed images are clamped to [0, 1] pixels",
                     "Units of eps"},
                    inputUnitNames(), [](auto& c) -> auto& { return c.robust.epsUnits; }));
  t.back().readWhen = whenRobust({RobustMethod::PgdAt, RobustMethod::Trades, RobustMethod::Cure, RobustMethod::NoiseJsd,
                                   RobustMethod::HSat, RobustMethod::PSat});
  t.push_back(field({"adv_eps", T::Real, "0.1", 0, 1e6, true, "", {},
                     "pgd-at/trades/h-sat/p-sat: linf radius of the training attack, in --eps-units", "Attack eps"},
                    [](auto& c) -> auto& { return c.robust.eps; }));
  t.back().readWhen = whenRobust({RobustMethod::PgdAt, RobustMethod::Trades, RobustMethod::HSat, RobustMethod::PSat});
  t.push_back(field({"adv_steps", T::Integer, "10", 1, 100000, false, "steps", {},
                     "pgd-at/trades/h-sat/p-sat: PGD steps of the training attack", "Attack steps"},
                    [](auto& c) -> auto& { return c.robust.steps; }));
  t.back().readWhen = whenRobust({RobustMethod::PgdAt, RobustMethod::Trades, RobustMethod::HSat, RobustMethod::PSat});
  t.push_back(field({"adv_step", T::Real, "0.25", 0, 10, true, "", {},
                     "pgd-at/trades/h-sat/p-sat: PGD step size as a fraction of --adv-eps", "Attack step (× eps)"},
                    [](auto& c) -> auto& { return c.robust.stepFraction; }));
  t.back().readWhen = whenRobust({RobustMethod::PgdAt, RobustMethod::Trades, RobustMethod::HSat, RobustMethod::PSat});
  t.push_back(field({"adv_no_random_start", T::Flag, "false", 0, 0, false, "", {},
                     "pgd-at/h-sat/p-sat: start PGD at the sample instead of a uniformly random point of the ball",
                     "Attack without random start"},
                    [](auto& c) -> auto& { return c.robust.noRandomStart; }));
  t.back().readWhen = whenRobust({RobustMethod::PgdAt, RobustMethod::HSat, RobustMethod::PSat});
  t.push_back(field({"trades_beta", T::Real, "6", 0, 1e6, false, "", {},
                     "trades: weight of KL(f(x) || f(x')) (Zhang 2019: 6)", "TRADES β"},
                    [](auto& c) -> auto& { return c.robust.tradesBeta; }));
  t.back().readWhen = whenRobust({RobustMethod::Trades});
  t.push_back(field({"cure_gamma", T::Real, "4", 0, 1e6, false, "", {},
                     "cure: weight of the curvature penalty ||grad l(x + h z) - grad l(x)||^2 (mean over the batch)",
                     "CURE γ"},
                    [](auto& c) -> auto& { return c.robust.cureGamma; }));
  t.back().readWhen = whenRobust({RobustMethod::Cure});
  t.push_back(field({"cure_h", T::Real, "0.1", 0, 1e6, true, "", {},
                     "cure: finite-difference step h along z, in --eps-units", "CURE h"},
                    [](auto& c) -> auto& { return c.robust.cureH; }));
  t.back().readWhen = whenRobust({RobustMethod::Cure});
  t.push_back(field({"jsd_lambda", T::Real, "12", 0, 1e6, false, "", {},
                     "noise-jsd: weight of the Jensen-Shannon consistency (AugMix: 12)", "JSD λ"},
                    [](auto& c) -> auto& { return c.robust.jsdLambda; }));
  t.back().readWhen = whenRobust({RobustMethod::NoiseJsd});
  t.push_back(field({"noise_sigmas", T::Text, "0.1,0.2,0.3", 0, 0, false, "", {},
                     "noise-jsd: Gaussian noise levels, comma-separated, in --eps-units; one noisy copy each",
                     "Noise σs"},
                    [](auto& c) -> auto& { return c.robust.noiseSigmas; }));
  t.back().readWhen = whenRobust({RobustMethod::NoiseJsd});
  t.back().check = [](const std::string& text) -> std::string {
    try {
      parsePositiveList(text, "noise levels");
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  t.push_back(field({"noise_ce", T::Flag, "false", 0, 0, false, "", {},
                     "noise-jsd: add the base loss on the noisy copies (averaged with the clean one)",
                     "Loss on noisy copies too"},
                    [](auto& c) -> auto& { return c.robust.noiseCe; }));
  t.back().readWhen = whenRobust({RobustMethod::NoiseJsd});
  t.push_back(field({"sat_ramp", T::Integer, "0", 0, 100000, false, "epochs", {},
                     "h-sat/p-sat: epochs over which the curriculum ramps to the full attack, linearly per step "
                     "(0: half of --epochs)",
                     "SAT ramp"},
                    [](auto& c) -> auto& { return c.robust.satRampEpochs; }));
  t.back().readWhen = whenRobust({RobustMethod::HSat, RobustMethod::PSat});
  t.push_back(field({"drw_epoch", T::Integer, "0", 0, 100000, false, "epochs", {},
                     "deferred re-weighting by class frequency from this epoch (0: off)", "DRW from epoch"},
                    [](auto& c) -> auto& { return c.drwEpoch; }));
  t.push_back(field({"qat_bits", T::Integer, "0", 0, 8, false, "bits", {},
                     "quantization-aware training of conv/linear weights at this bit width (0: off; else 2 to 8)",
                     "QAT bits"},
                    [](auto& c) -> auto& { return c.qatBits; }));
  t.push_back(field({"qat_act_bits", T::Integer, "0", 0, 8, false, "bits", {},
                     "quantization-aware training of post-ReLU activations at this bit width (0: off; else 2 to 8; "
                     "zoo models only)",
                     "QAT activation bits"},
                    [](auto& c) -> auto& { return c.qatActivationBits; }));
  t.push_back(choice({"qat_method", T::Choice, "ste", 0, 0, false, "", {},
                                 "ste: fixed steps (max|w|, running max of activations), lsq: learned steps "
                                 "(Esser et al. 2020)",
                                 "QAT method"},
                                qatMethodNames(), [](auto& c) -> auto& { return c.qatMethod; }));
  t.push_back(field({"checkpoint_every", T::Integer, "1", 1, 100000, false, "epochs", {},
                     "epochs between checkpoints (the first and last are always kept)", "Checkpoint every"},
                    [](auto& c) -> auto& { return c.checkpointEvery; }));
  t.push_back(field({"seed", T::Integer, "0", 0, 2147483647, false, "", {},
                     "seed for model initialisation and random choices", "Seed"},
                    [](auto& c) -> auto& { return c.seed; }));
  t.push_back(field({"device", T::Choice, "auto", 0, 0, false, "", deviceChoices(),
                     "auto: CUDA when LibTorch sees a GPU, else the CPU", "Device"},
                    [](auto& c) -> auto& { return c.device; }));
  auto run = field({"run", T::Text, "run", 0, 0, false, "", {}, "name of the run in the project", "Run name"},
                   [](auto& c) -> auto& { return c.runName; });
  run.required = true;
  t.push_back(run);
  return t;
}

}  // namespace

const std::vector<std::string>& optimizerNames() {
  static const std::vector<std::string> names = {"sgd", "adamw", "sam", "msam", "asam", "gnp", "hero", "swa", "awp"};
  return names;
}
OptimizerName parseOptimizerName(const std::string& name) {
  return parseName<OptimizerName>(optimizerNames(), name, "optimizer");
}
const char* toString(OptimizerName name) { return optimizerNames().at(size_t(name)).c_str(); }

const std::vector<std::string>& scheduleNames() {
  static const std::vector<std::string> names = {"constant", "step", "cosine"};
  return names;
}
Schedule parseSchedule(const std::string& name) { return parseName<Schedule>(scheduleNames(), name, "schedule"); }
const char* toString(Schedule schedule) { return scheduleNames().at(size_t(schedule)).c_str(); }

const std::vector<std::string>& lossNames() {
  static const std::vector<std::string> names = {"ce", "ldam", "vs"};
  return names;
}
LossKind parseLoss(const std::string& name) { return parseName<LossKind>(lossNames(), name, "loss"); }
const char* toString(LossKind loss) { return lossNames().at(size_t(loss)).c_str(); }

const std::vector<std::string>& robustMethodNames() {
  static const std::vector<std::string> names = {"none", "pgd-at", "trades", "cure", "noise-jsd", "h-sat", "p-sat"};
  return names;
}
RobustMethod parseRobustMethod(const std::string& name) {
  return parseName<RobustMethod>(robustMethodNames(), name, "robust training method");
}
const char* toString(RobustMethod method) { return robustMethodNames().at(size_t(method)).c_str(); }

const std::vector<std::string>& qatMethodNames() {
  static const std::vector<std::string> names = {"ste", "lsq"};
  return names;
}

const std::vector<std::string>& deviceChoices() {
  static const std::vector<std::string> names = {"auto", "cpu", "cuda", "cuda:N"};
  return names;
}

const settings::SettingsTable<TrainConfig>& trainSettings() {
  static const auto table = makeTable();
  return table;
}

}  // namespace flatland::training
// clang-format on
