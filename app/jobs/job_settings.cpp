#include "job_settings.h"

#include <algorithm>
#include <cmath>

#include "connect_job.h"
#include "flatland/analysis/attack_choices.h"
#include "flatland/analysis/curve_choices.h"
#include "flatland/analysis/direction_choices.h"
#include "flatland/analysis/grid.h"
#include "flatland/analysis/perturbation_norm.h"
#include "flatland/errors.h"
#include "flatland/training/train_settings.h"

// The settings tables read best one setting to a line or two; clang-format would give each
// field of a setting its own line.
// clang-format off

namespace flatland::app {

namespace {

using settings::Setting;
using settings::Type;

template <class Config, class Access>
settings::BoundSetting<Config> field(Setting s, Access access) {
  return settings::bind<Config>(std::move(s), access);
}

template <class Config>
settings::BoundSetting<Config> cliOnly(settings::BoundSetting<Config> s) {
  s.where = settings::InCli;
  return s;
}

const std::string kDataHelp = "fashion-mnist:train|test, cifar10:DIR:train|test, h5:FILE, synthetic:spirals|blobs";

// Model, data and device: the first settings of every job. `samples` and `batchSize` are the
// job's own defaults; the GUI starts with `guiSamples` so a first Run stays short on a laptop.
template <class Config>
void addInputSettings(settings::SettingsTable<Config>& t, const std::string& samples, const std::string& guiSamples,
                      Setting batchSize) {
  t.push_back(field<Config>({"model", Type::Text, "zoo:cnn-small", 0, 0, false, "", {},
                             "zoo:NAME, a TorchScript .pt file, or PROJECT.h5:/runs/NAME[@EPOCH]", "Model"},
                            [](auto& c) -> auto& { return c.input.model; }));
  t.push_back(field<Config>({"data", Type::Text, "fashion-mnist:test", 0, 0, false, "", {}, kDataHelp, "Data"},
                            [](auto& c) -> auto& { return c.input.data; }));
  t.push_back(field<Config>({"samples", Type::Integer, samples, 0, 1e9, false, "samples", {},
                             "use the first N samples (0: all)", "Samples", guiSamples},
                            [](auto& c) -> auto& { return c.input.samples; }));
  t.push_back(field<Config>(batchSize, [](auto& c) -> auto& { return c.input.batchSize; }));
  t.push_back(field<Config>({"device", Type::Choice, "auto", 0, 0, false, "", training::deviceChoices(),
                             "auto: CUDA when LibTorch sees a GPU, else the CPU", "Device"},
                            [](auto& c) -> auto& { return c.input.device; }));
  t.push_back(field<Config>({"seed", Type::Integer, "0", 0, 2147483647, false, "", {},
                             "seed for model initialisation and random choices", "Seed"},
                            [](auto& c) -> auto& { return c.input.seed; }));
  t.push_back(cliOnly(field<Config>({"data_dir", Type::Text, "", 0, 0, false, "", {},
                                     "directory of a named data set (overrides the default)"},
                                    [](auto& c) -> auto& { return c.input.dataDir; })));
}

const Setting kEvalBatch{"batch_size", Type::Integer, "1000", 1, 1 << 20, false, "samples", {},
                         "samples per forward pass", "Batch size"};

settings::SettingsTable<HessianJobSettings> makeHessianTable() {
  using C = HessianJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  addInputSettings(t, "1000", "", kEvalBatch);
  // The GUI starts with more than the CLI (top 5, bottom 1, trace and density): a first Run
  // there should fill every figure of the analysis.
  t.push_back(field<C>({"top_k", T::Integer, "1", 0, 1000, false, "eigenvalues", {},
                        "largest eigenvalues to compute (0: none)", "Top-k eigenvalues", "5"},
                       [](auto& c) -> auto& { return c.topK; }));
  t.push_back(field<C>({"bottom_k", T::Integer, "0", 0, 1000, false, "eigenvalues", {},
                        "smallest eigenvalues to compute (0: none)", "Bottom-k eigenvalues", "1"},
                       [](auto& c) -> auto& { return c.bottomK; }));
  auto tol = field<C>({"tol", T::Real, "0.001", 0, 1, true, "", {}, "Lanczos tolerance on the relative residual",
                       "Lanczos tolerance"},
                      [](auto& c) -> auto& { return c.tolerance; });
  tol.decimals = 6;
  t.push_back(tol);
  t.push_back(field<C>({"trace", T::Flag, "false", 0, 0, false, "", {}, "estimate the trace (Hutchinson)",
                        "Hutchinson trace", "true"},
                       [](auto& c) -> auto& { return c.trace; }));
  t.push_back(field<C>({"trace_samples", T::Integer, "100", 1, 1e6, false, "samples", {},
                        "most Hutchinson samples", "Trace samples"},
                       [](auto& c) -> auto& { return c.traceSamples; }));
  t.push_back(field<C>({"trace_rel_stderr", T::Real, "0.01", 0, 1, false, "", {},
                        "stop the trace once its standard error is this fraction of |trace|", "Trace relative error"},
                       [](auto& c) -> auto& { return c.traceRelStderr; }));
  t.push_back(field<C>({"trace_stderr", T::Real, "0", 0, 1e12, false, "", {},
                        "… or once its standard error is at most this (absolute; 0: off); either target stops it",
                        "Trace absolute error"},
                       [](auto& c) -> auto& { return c.traceStderr; }));
  t.push_back(field<C>({"hutchpp", T::Flag, "false", 0, 0, false, "", {},
                        "Hutch++ instead of Hutchinson: spends all --trace-samples, lower variance", "Hutch++"},
                       [](auto& c) -> auto& { return c.hutchpp; }));
  t.push_back(settings::bindChoice<C>(
      {"curvature", T::Choice, "hessian", 0, 0, false, "", curvatureNames(),
       "hessian, or ggn (generalised Gauss-Newton)", "Curvature"},
      [](auto& c) -> auto& { return c.curvature; }));
  t.push_back(field<C>({"density", T::Flag, "false", 0, 0, false, "", {},
                        "spectral density by stochastic Lanczos quadrature", "Spectral density (SLQ)", "true"},
                       [](auto& c) -> auto& { return c.density; }));
  t.push_back(field<C>({"density_steps", T::Integer, "100", 2, 100000, false, "steps", {},
                        "Lanczos steps per SLQ vector", "SLQ steps"},
                       [](auto& c) -> auto& { return c.densitySteps; }));
  t.push_back(field<C>({"density_vectors", T::Integer, "1", 1, 100000, false, "vectors", {}, "SLQ start vectors",
                        "SLQ vectors"},
                       [](auto& c) -> auto& { return c.densityVectors; }));
  t.push_back(field<C>({"grid_points", T::Integer, "10000", 2, 10000000, false, "points", {},
                        "points of the smoothed density", "Density points"},
                       [](auto& c) -> auto& { return c.gridPoints; }));
  t.push_back(field<C>({"per_class", T::Flag, "false", 0, 0, false, "", {},
                        "the same analyses for the loss over each class", "Per class"},
                       [](auto& c) -> auto& { return c.perClass; }));
  t.push_back(field<C>({"imbalance", T::Real, "1", 1, 1000, false, "", {},
                        "make --data long-tailed as train --imbalance does (class c keeps n_max/ratio^(c/(C-1)) "
                        "samples, seeded by --seed), so per-class spectra see the class sizes a long-tailed run "
                        "trained on (1: as loaded)",
                        "Long tail ratio"},
                       [](auto& c) -> auto& { return c.imbalance; }));
  t.push_back(field<C>({"batch_sweep", T::IntegerList, "", 1, 1 << 30, false, "samples", {},
                        "\u03bb_max of random mini-batches of these sizes (16,64,256)", "Batch-size sweep"},
                       [](auto& c) -> auto& { return c.batchSweep; }));
  t.push_back(field<C>({"sweep_repeats", T::Integer, "5", 1, 100000, false, "batches", {},
                        "random batches per size", "Sweep repeats"},
                       [](auto& c) -> auto& { return c.sweepRepeats; }));
  t.push_back(field<C>({"max_cached", T::Integer, "5000", 0, 1e9, false, "samples", {},
                        "keep the first-order graph in memory up to this many samples, else stream batches",
                        "Most cached samples"},
                       [](auto& c) -> auto& { return c.maxCached; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "hessian.h5", 0, 0, false, "", {},
                                "project file to store the results in ('' : do not store)"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  auto name = field<C>({"name", T::Text, "", 0, 0, false, "", {}, "analysis name (default: hessian-<time>)", "Name"},
                       [](auto& c) -> auto& { return c.name; });
  name.where = settings::InCli | settings::InGui;
  t.push_back(name);
  return t;
}

std::string gridProblem(const std::string& text) {
  if (text.empty()) return {};
  try {
    analysis::GridSpec::parse(text);
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

settings::SettingsTable<SurfaceJobSettings> makeSurfaceTable() {
  using C = SurfaceJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  // Batch 0 is resolved by the device (resolveSurfaceBatchSize): small batches keep a CPU's
  // activations in cache, a GPU wants large ones.
  addInputSettings(t, "0", "1000",
                   {"batch_size", T::Integer, "0", 0, 1 << 20, false, "samples", {},
                    "samples per forward pass (0: by device, 256 on a CPU, 4096 on CUDA)", "Batch size"});
  t.push_back(field<C>({"test_data", T::Text, "", 0, 0, false, "", {},
                        "a second data set, stored as test_loss / test_accuracy (--data fills train_loss / "
                        "train_accuracy)",
                        "Test data"},
                       [](auto& c) -> auto& { return c.testData; }));
  t.push_back(field<C>({"points_per_pass", T::Integer, "1", 1, 64, false, "points", {},
                        "grid points evaluated in one forward pass, their weight sets stacked (built-in "
                        "models; others go point by point); activation memory grows with it. On a CPU "
                        "8 made small CNNs 1.2-2.7x faster, ResNet-20 and ViT slower "
                        "(docs/performance.md)",
                        "Points per pass"},
                       [](auto& c) -> auto& { return c.pointsPerPass; }));
  t.push_back(settings::bindChoice<C>(
      {"dirs", T::Choice, "", 0, 0, false, "", analysis::directionKindNames(),
       "random (filter-normalised Gaussian; the default), eigen (top Hessian eigenvectors: of "
       "--from-analysis, else computed first), pca (of a run's checkpoints, --run), interp "
       "(to --to), loss-landscape (a direction file of the loss-landscape project, --dir-file), plane "
       "(through the models and the bend of a connectivity analysis, --from-analysis)",
       "Directions"},
      [](auto& c) -> auto& { return c.directions; }));
  using analysis::DirectionKind;
  t.push_back(field<C>({"grid", T::Text, "", 0, 0, false, "", {},
                        "X[,Y[,Z]] with each axis lo:hi:n (default " +
                            analysis::defaultGridFor(DirectionKind::Random) + "; interp " +
                            analysis::defaultGridFor(DirectionKind::Interp) +
                            "; pca: around the trajectory)",
                        "Grid", "-1:1:21,-1:1:21"},
                       [](auto& c) -> auto& { return c.grid; }));
  t.back().check = gridProblem;
  t.push_back(settings::bindChoice<C>(
      {"norm", T::Choice, "", 0, 0, false, "", analysis::directionNormNames(),
       "random/eigen directions: filter (Li et al. 2018; the default), layer or none (eigen "
       "default: none)",
       "Normalisation"},
      [](auto& c) -> auto& { return c.norm; }));
  t.push_back(settings::bindChoice<C>(
      {"one_dim", T::Choice, "", 0, 0, false, "", analysis::oneDimPolicyNames(),
       "biases and BatchNorm weights in random directions: zero (the default), weight or normalize",
       "1-D tensors"},
      [](auto& c) -> auto& { return c.oneDim; }));
  t.push_back(field<C>({"to", T::Text, "", 0, 0, false, "", {}, "with --dirs interp: the second model (a model spec)",
                        "Interpolate to"},
                       [](auto& c) -> auto& { return c.to; }));
  t.push_back(field<C>({"dir_file", T::Text, "", 0, 0, false, "", {},
                        "with --dirs loss-landscape: its direction file (xdirection/, ydirection/ with one array "
                        "per parameter, --dir_type weights, or per state_dict entry, states), used as written",
                        "Direction file"},
                       [](auto& c) -> auto& { return c.dirFile; }));
  t.back().readWhen = settings::Setting::Condition{"dirs", {analysis::toString(DirectionKind::LossLandscape)}};
  t.push_back(field<C>({"from_analysis", T::Text, "", 0, 0, false, "", {},
                        "an analysis NAME (or OTHER.h5:NAME): a hessian analysis gives eigenvector directions, a "
                        "surface analysis lends its stored directions (to compare minima on the same footing), a "
                        "connectivity analysis the plane through its models and bend",
                        "From analysis"},
                       [](auto& c) -> auto& { return c.fromAnalysis; }));
  t.push_back(field<C>({"run", T::Text, "", 0, 0, false, "", {},
                        "with --dirs pca: the run whose checkpoints make the trajectory (NAME or P.h5:/runs/NAME); "
                        "the origin defaults to its last checkpoint",
                        "Run (PCA)"},
                       [](auto& c) -> auto& { return c.run; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "surface.h5", 0, 0, false, "", {}, "project file (created when missing)"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  auto name = field<C>({"name", T::Text, "", 0, 0, false, "", {},
                        "analysis name (default surface-<time>); an unfinished surface of that name is resumed",
                        "Name"},
                       [](auto& c) -> auto& { return c.name; });
  name.where = settings::InCli | settings::InGui;
  t.push_back(name);
  t.push_back(cliOnly(field<C>({"commit_seconds", T::Real, "5", 0, 86400, true, "seconds", {},
                                "seconds between saves of finished points"},
                               [](auto& c) -> auto& { return c.commitSeconds; })));
  return t;
}

std::string bitsText(const std::vector<int>& bits) {
  if (bits.empty()) return {};
  if (bits.size() == 1) return std::to_string(bits.front());
  return std::to_string(bits.front()) + "-" + std::to_string(bits.back());
}

settings::SettingsTable<QuantizeJobSettings> makeQuantizeTable() {
  using C = QuantizeJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  addInputSettings(t, "0", "", kEvalBatch);
  settings::BoundSetting<C> bits;
  static_cast<Setting&>(bits) = Setting{"bits", T::Text, "2-8", 0, 0, false, "", {},
                                        "weight bit widths, a range such as 2-8 or one width (2 to 16)", "Bit widths"};
  bits.check = [](const std::string& text) -> std::string {
    try {
      parseBitWidths(text);
      return {};
    } catch (const Error& e) {
      return e.what();
    }
  };
  bits.get = [](const C& c) { return bitsText(c.bits); };
  bits.set = [](C& c, const std::string& text) { c.bits = parseBitWidths(text); };
  t.push_back(bits);
  t.push_back(field<C>({"hawq_bits", T::Real, "0", 0, 16, false, "bits", {},
                        "also choose a bit width per layer from per-layer Hessian traces (HAWQ) with this average, "
                        "and evaluate it (0: off; else at least 2)",
                        "HAWQ average bits"},
                       [](auto& c) -> auto& { return c.hawqAverageBits; }));
  t.back().decimals = 1;
  t.push_back(field<C>({"hawq_samples", T::Integer, "100", 1, 100000, false, "samples", {},
                        "Hutchinson samples for the per-layer traces", "HAWQ samples"},
                       [](auto& c) -> auto& { return c.hawqSamples; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "", 0, 0, false, "", {}, "project file to store the analysis in"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  auto name = field<C>({"name", T::Text, "", 0, 0, false, "", {}, "analysis name (default: quantize-<time>)", "Name"},
                       [](auto& c) -> auto& { return c.name; });
  name.where = settings::InCli | settings::InGui;
  t.push_back(name);
  return t;
}

std::string realsText(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ",") + settings::format(v);
  return text;
}

// A Text row holding a list of positive reals (radii, σ), checked and parsed by parsePositiveReals.
template <class C>
settings::BoundSetting<C> realList(Setting s, std::vector<double> C::*member) {
  settings::BoundSetting<C> b;
  static_cast<Setting&>(b) = std::move(s);
  b.check = [](const std::string& text) -> std::string {
    try {
      parsePositiveReals(text);
      return {};
    } catch (const Error& e) {
      return e.what();
    }
  };
  b.get = [member](const C& c) { return realsText(c.*member); };
  b.set = [member](C& c, const std::string& text) { c.*member = parsePositiveReals(text); };
  return b;
}

settings::SettingsTable<SharpnessJobSettings> makeSharpnessTable() {
  using C = SharpnessJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  addInputSettings(t, "1000", "", kEvalBatch);
  t.push_back(field<C>({"test_data", T::Text, "", 0, 0, false, "", {},
                        "a test set of the same task: its loss and accuracy give the generalisation gap (test - "
                        "train loss, train - test accuracy); the first --samples of it",
                        "Test data"},
                       [](auto& c) -> auto& { return c.testData; }));
  t.push_back(field<C>({"runs", T::Text, "", 0, 0, false, "", {},
                        "compare runs (NAME,NAME,... in --out's project, or P.h5:/runs/NAME): a sharpness analysis "
                        "of each run's last checkpoint and the table of every measure's Kendall tau with the "
                        "generalisation gap (needs --test-data; --model is then not used)",
                        "Compare runs"},
                       [](auto& c) -> auto& { return c.runs; }));
  t.push_back(realList<C>({"rho", T::Text, "0.01,0.05,0.1", 0, 0, false, "", {},
                           "radii of the worst-case (gradient ascent) and random filter-normalised perturbations; "
                           "with --adaptive the radius of z in delta = T_w z (ASAM uses 0.5 to 2)",
                           "Radii rho"},
                          &C::rho));
  t.push_back(realList<C>({"sigma", T::Text, "0.001,0.005,0.01", 0, 0, false, "", {},
                           "standard deviations of the Gaussian (average-case) perturbations N(0, sigma^2 I)",
                           "Gaussian sigma"},
                          &C::sigma));
  t.push_back(settings::bindChoice<C>({"norm", T::Choice, "l2", 0, 0, false, "", analysis::perturbationNormNames(),
                                       "ball of the worst-case perturbation", "Worst-case norm"},
                                      [](auto& c) -> auto& { return c.norm; }));
  t.push_back(field<C>({"adaptive", T::Flag, "false", 0, 0, false, "", {},
                        "adaptive worst case (ASAM, Kwon 2021): delta = T_w z with T_w = |w| + eta, ||z|| <= rho",
                        "Adaptive (ASAM)"},
                       [](auto& c) -> auto& { return c.adaptive; }));
  t.push_back(field<C>({"asam_eta", T::Real, "0.01", 0, 1, false, "", {}, "ASAM's T_w = |w| + eta (Kwon 2021)",
                        "ASAM eta"},
                       [](auto& c) -> auto& { return c.asamEta; }));
  t.push_back(field<C>({"m", T::Integer, "0", 0, 1e9, false, "samples", {},
                        "m-sharpness: the worst case on each sub-batch of m samples, averaged (0: the whole set)",
                        "m (sub-batch)"},
                       [](auto& c) -> auto& { return c.m; }));
  t.push_back(field<C>({"steps", T::Integer, "10", 1, 10000, false, "steps", {},
                        "projected gradient ascent steps of the worst case", "Ascent steps"},
                       [](auto& c) -> auto& { return c.steps; }));
  t.push_back(field<C>({"step_size", T::Real, "0.5", 0, 100, true, "", {},
                        "ascent step as a fraction of rho (l2: along the normalised gradient; linf: its sign)",
                        "Ascent step"},
                       [](auto& c) -> auto& { return c.stepSize; }));
  t.push_back(field<C>({"draws", T::Integer, "10", 1, 100000, false, "draws", {},
                        "random perturbations per sigma and per rho, and for the PAC-Bayes bisection", "Draws"},
                       [](auto& c) -> auto& { return c.draws; }));
  t.push_back(field<C>({"pac_bayes_threshold", T::Real, "0.1", 0, 1e6, false, "", {},
                        "PAC-Bayes flatness: the largest sigma whose mean loss increase stays at most this (0: skip)",
                        "PAC-Bayes threshold"},
                       [](auto& c) -> auto& { return c.pacBayesThreshold; }));
  t.push_back(field<C>({"pac_bayes_iterations", T::Integer, "20", 1, 200, false, "iterations", {},
                        "bisection steps of the PAC-Bayes sigma", "PAC-Bayes iterations"},
                       [](auto& c) -> auto& { return c.pacBayesIterations; }));
  t.push_back(field<C>({"trace_samples", T::Integer, "50", 2, 1e6, false, "samples", {},
                        "most Hutchinson samples of the Hessian trace", "Trace samples"},
                       [](auto& c) -> auto& { return c.traceSamples; }));
  t.push_back(field<C>({"relative_flatness_samples", T::Integer, "20", 0, 1e6, false, "samples", {},
                        "Hutchinson samples of the relative flatness (0: exact, one Hessian-vector product per "
                        "output-layer weight)",
                        "Relative flatness samples"},
                       [](auto& c) -> auto& { return c.relativeFlatnessSamples; }));
  t.back().check = [](const std::string& text) -> std::string {
    return text == "1" ? "0 (exact) or at least 2 samples: one sample has no standard error" : "";
  };
  t.push_back(field<C>({"no_hessian", T::Flag, "false", 0, 0, false, "", {},
                        "skip lambda_max and the trace (the Hessian engine's Lanczos and Hutchinson)", "Skip Hessian"},
                       [](auto& c) -> auto& { return c.noHessian; }));
  t.push_back(field<C>({"no_fisher_rao", T::Flag, "false", 0, 0, false, "", {}, "skip the Fisher-Rao norm",
                        "Skip Fisher-Rao"},
                       [](auto& c) -> auto& { return c.noFisherRao; }));
  t.push_back(field<C>({"no_relative_flatness", T::Flag, "false", 0, 0, false, "", {},
                        "skip the relative flatness", "Skip relative flatness"},
                       [](auto& c) -> auto& { return c.noRelativeFlatness; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "sharpness.h5", 0, 0, false, "", {},
                                "project file to store the results in ('' : do not store)"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  auto name = field<C>({"name", T::Text, "", 0, 0, false, "", {}, "analysis name (default: sharpness-<time>)", "Name"},
                       [](auto& c) -> auto& { return c.name; });
  name.where = settings::InCli | settings::InGui;
  t.push_back(name);
  return t;
}

settings::SettingsTable<RescaleJobSettings> makeRescaleTable() {
  using C = RescaleJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  addInputSettings(t, "100", "", kEvalBatch);
  t.push_back(field<C>({"layer", T::Text, "", 0, 0, false, "", {},
                        "the layer followed by a ReLU whose weight and bias are scaled by alpha (a module prefix "
                        "such as layers.1; the next layer's weight is scaled by 1/alpha)",
                        "Layer"},
                       [](auto& c) -> auto& { return c.layer; }));
  t.back().required = true;
  t.push_back(field<C>({"alpha", T::Real, "2", 0, 1e6, true, "", {}, "the scaling factor (Dinh et al. 2017)",
                        "Alpha"},
                       [](auto& c) -> auto& { return c.alpha; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "", 0, 0, false, "", {},
                                "project file to write the rescaled model to (created when missing)"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  t.back().required = true;
  t.push_back(field<C>({"run", T::Text, "rescaled", 0, 0, false, "", {},
                        "name of the run holding the rescaled model: load it as OUT.h5:/runs/RUN", "Run"},
                       [](auto& c) -> auto& { return c.run; }));
  return t;
}

settings::SettingsTable<ConnectJobSettings> makeConnectTable() {
  using C = ConnectJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  addInputSettings(t, "5000", "", {"batch_size", T::Integer, "128", 1, 1 << 20, false, "samples", {},
                                   "samples per step of the bend's training", "Batch size"});
  t[0].help = "the first model A: " + t[0].help;
  t[0].label = "First model";
  t[1].defaultValue = "fashion-mnist:train";
  t[1].help = "the data the curve is trained on and both paths are evaluated on (train_loss): " + t[1].help;
  t.push_back(field<C>({"to", T::Text, "", 0, 0, false, "", {},
                        "the second model B, of the same architecture (a model spec)", "Second model"},
                       [](auto& c) -> auto& { return c.to; }));
  t.back().required = true;
  t.push_back(field<C>({"test_data", T::Text, "", 0, 0, false, "", {},
                        "a second data set also evaluated along both paths (test_loss / test_accuracy)",
                        "Test data"},
                       [](auto& c) -> auto& { return c.testData; }));
  t.push_back(settings::bindChoice<C>(
      {"curve", T::Choice, "bezier", 0, 0, false, "", analysis::curveTypeNames(),
       "linear: the straight line only; bezier: (1-t)^2 A + 2t(1-t) theta + t^2 B; polychain: A -> theta -> B "
       "(Garipov et al. 2018). The bend theta is trained; the straight line is evaluated too",
       "Curve"},
      [](auto& c) -> auto& { return c.curve; }));
  const Setting::Condition trainedCurve{"curve", {analysis::toString(analysis::CurveType::Bezier),
                                                  analysis::toString(analysis::CurveType::Polychain)}};
  t.push_back(field<C>({"epochs", T::Integer, "10", 1, 100000, false, "epochs", {},
                        "epochs of the bend's training, a uniformly drawn t per step", "Epochs"},
                       [](auto& c) -> auto& { return c.epochs; }));
  t.back().readWhen = trainedCurve;
  auto lr = field<C>({"lr", T::Real, "0.01", 0, 10, true, "", {}, "learning rate of the bend (SGD)", "Learning rate"},
                     [](auto& c) -> auto& { return c.learningRate; });
  lr.decimals = 5;
  lr.readWhen = trainedCurve;
  t.push_back(lr);
  t.push_back(field<C>({"momentum", T::Real, "0.9", 0, 0.999, false, "", {}, "SGD momentum of the bend", "Momentum"},
                       [](auto& c) -> auto& { return c.momentum; }));
  t.back().readWhen = trainedCurve;
  auto decay = field<C>({"weight_decay", T::Real, "0.0005", 0, 1, false, "", {}, "weight decay on the bend",
                         "Weight decay"},
                        [](auto& c) -> auto& { return c.weightDecay; });
  decay.decimals = 6;
  decay.readWhen = trainedCurve;
  t.push_back(decay);
  t.push_back(field<C>({"points", T::Integer, "21", 2, 100001, false, "points", {},
                        "points t = 0 … 1 evaluated along each path (with BatchNorm, statistics are recomputed at "
                        "each)",
                        "Points"},
                       [](auto& c) -> auto& { return c.points; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "connect.h5", 0, 0, false, "", {}, "project file (created when missing)"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  auto name = field<C>({"name", T::Text, "", 0, 0, false, "", {}, "analysis name (default connectivity-<time>)",
                        "Name"},
                       [](auto& c) -> auto& { return c.name; });
  name.where = settings::InCli | settings::InGui;
  t.push_back(name);
  return t;
}

// A check made of a parser that throws: "" or its message.
template <class Parse>
std::function<std::string(const std::string&)> checkedBy(Parse parse) {
  return [parse](const std::string& text) -> std::string {
    try {
      parse(text);
      return {};
    } catch (const Error& e) {
      return e.what();
    }
  };
}

settings::SettingsTable<RobustnessJobSettings> makeRobustnessTable() {
  using C = RobustnessJobSettings;
  using T = Type;
  settings::SettingsTable<C> t;
  addInputSettings(t, "1000", "", {"batch_size", T::Integer, "500", 1, 1 << 20, false, "samples", {},
                                   "samples attacked together", "Batch size"});
  t.push_back(field<C>({"attack", T::Text, "fgsm,pgd", 0, 0, false, "", {},
                        "attacks, comma-separated: fgsm, pgd (l-inf), pgd-l2; none: no attacks", "Attacks"},
                       [](auto& c) -> auto& { return c.attacks; }));
  t.back().check = checkedBy([](const std::string& text) {
    if (text != "none") analysis::parseAttackList(text);
  });
  t.push_back(field<C>({"eps", T::Text, "0.05,0.1,0.2", 0, 0, false, "", {},
                        "attack radii, comma-separated, in --eps-units", "Radii (eps)"},
                       [](auto& c) -> auto& { return c.eps; }));
  t.back().check = checkedBy([](const std::string& text) { analysis::parsePositiveList(text, "radii"); });
  t.push_back(settings::bindChoice<C>({"eps_units", T::Choice, "data", 0, 0, false, "", training::inputUnitNames(),
                        "data: the units the data is loaded in (standardised for built-in sets); pixel: [0, 1] "
                        "pixels before normalisation (fashion-mnist, cifar10)",
                        "Units of eps"},
                       [](auto& c) -> auto& { return c.epsUnits; }));
  t.push_back(field<C>({"pgd_steps", T::Integer, "10", 1, 100000, false, "steps", {}, "PGD steps", "PGD steps"},
                       [](auto& c) -> auto& { return c.pgdSteps; }));
  t.push_back(field<C>({"pgd_step", T::Real, "0.25", 0, 10, true, "", {}, "PGD step size as a fraction of eps",
                        "PGD step (× eps)"},
                       [](auto& c) -> auto& { return c.pgdStep; }));
  t.push_back(field<C>({"no_random_start", T::Flag, "false", 0, 0, false, "", {},
                        "start PGD at the sample itself (deterministic) instead of a random point of the ball",
                        "No random start"},
                       [](auto& c) -> auto& { return c.noRandomStart; }));
  t.push_back(field<C>({"restarts", T::Integer, "1", 1, 1000, false, "tries", {},
                        "PGD tries per sample; the worst counts", "PGD restarts"},
                       [](auto& c) -> auto& { return c.restarts; }));
  t.push_back(field<C>({"no_clamp", T::Flag, "false", 0, 0, false, "", {},
                        "let perturbed images leave the valid pixel range [0, 1]", "No clamping"},
                       [](auto& c) -> auto& { return c.noClamp; }));
  t.push_back(field<C>({"input_curvature", T::Flag, "false", 0, 0, false, "", {},
                        "per-sample top eigenvalue of the input Hessian (Lanczos) and CURE's estimate",
                        "Input curvature", "true"},
                       [](auto& c) -> auto& { return c.inputCurvature; }));
  t.push_back(field<C>({"curvature_samples", T::Integer, "100", 1, 1e7, false, "samples", {},
                        "input curvature of the first K samples", "Curvature samples"},
                       [](auto& c) -> auto& { return c.curvatureSamples; }));
  t.push_back(field<C>({"cure_step", T::Real, "0.01", 0, 1e6, true, "", {},
                        "h of CURE's finite difference: the norm of grad l(x + h z) - grad l(x), over h; in --eps-units",
                        "CURE step h"},
                       [](auto& c) -> auto& { return c.cureStep; }));
  t.push_back(field<C>({"corruptions", T::Flag, "false", 0, 0, false, "", {},
                        "accuracy under Gaussian, shot, impulse and speckle noise at 5 severities (CIFAR-10-C)",
                        "Noise corruptions", "true"},
                       [](auto& c) -> auto& { return c.corruptions; }));
  t.push_back(field<C>({"surface_sample", T::Integer, "-1", -1, 1e9, false, "", {},
                        "the input-space loss surface around this sample (-1: none)", "Surface around sample",
                        "0"},
                       [](auto& c) -> auto& { return c.surfaceSample; }));
  t.push_back(field<C>({"surface_radius", T::Real, "0", 0, 1e6, false, "", {},
                        "half-width of that surface's axes, in --eps-units (0: twice the largest eps)",
                        "Surface radius"},
                       [](auto& c) -> auto& { return c.surfaceRadius; }));
  t.push_back(field<C>({"surface_points", T::Integer, "41", 2, 1001, false, "points", {},
                        "points per axis of that surface", "Surface points"},
                       [](auto& c) -> auto& { return c.surfacePoints; }));
  t.push_back(cliOnly(field<C>({"out", T::Text, "robustness.h5", 0, 0, false, "", {},
                                "project file to store the results in ('' : do not store)"},
                               [](auto& c) -> auto& { return c.projectPath; })));
  auto name = field<C>({"name", T::Text, "", 0, 0, false, "", {}, "analysis name (default: robustness-<time>)",
                        "Name"},
                       [](auto& c) -> auto& { return c.name; });
  name.where = settings::InCli | settings::InGui;
  t.push_back(name);
  return t;
}

}  // namespace

std::vector<double> parsePositiveReals(const std::string& text) {
  return analysis::parsePositiveList(text, "values");
}

const settings::SettingsTable<SharpnessJobSettings>& sharpnessSettings() {
  static const auto table = makeSharpnessTable();
  return table;
}
const settings::SettingsTable<RescaleJobSettings>& rescaleSettings() {
  static const auto table = makeRescaleTable();
  return table;
}

const settings::SettingsTable<ConnectJobSettings>& connectSettings() {
  static const auto table = makeConnectTable();
  return table;
}

const std::vector<std::string>& curvatureNames() {
  static const std::vector<std::string> names = {"hessian", "ggn"};
  return names;
}

std::vector<int> parseBitWidths(const std::string& text) {
  auto dash = text.find('-');
  try {
    size_t used = 0;
    if (dash == std::string::npos) {
      const int bits = std::stoi(text, &used);
      if (used != text.size() || bits < 2 || bits > 16) throw InvalidArgument("");
      return {bits};
    }
    int low = std::stoi(text.substr(0, dash)), high = std::stoi(text.substr(dash + 1));
    if (low < 2 || high > 16 || low > high) throw InvalidArgument("");
    std::vector<int> bits;
    for (int b = low; b <= high; ++b) bits.push_back(b);
    return bits;
  } catch (const std::exception&) {
    throw InvalidArgument("bit widths are one width or a range such as 2-8, within 2…16; got '" + text + "'");
  }
}

const settings::SettingsTable<HessianJobSettings>& hessianSettings() {
  static const auto table = makeHessianTable();
  return table;
}
const settings::SettingsTable<SurfaceJobSettings>& surfaceSettings() {
  static const auto table = makeSurfaceTable();
  return table;
}
const settings::SettingsTable<QuantizeJobSettings>& quantizeSettings() {
  static const auto table = makeQuantizeTable();
  return table;
}

const settings::SettingsTable<RobustnessJobSettings>& robustnessSettings() {
  static const auto table = makeRobustnessTable();
  return table;
}

}  // namespace flatland::app
// clang-format on
