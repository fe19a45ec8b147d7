#include "project_figures.h"

#include "connectivity_figures.h"
#include "robustness_figures.h"
#include "sharpness_figures.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "flatland/analysis/direction_choices.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/specs.h"

namespace flatland::app {

namespace {

// Per-class curves beyond this many are drawn as small multiples by default.
constexpr std::size_t kMostOverlaidClasses = 4;

using training::Array;
using training::Node;

std::vector<double> values(const Node& node, const std::string& name) {
  return datasetValues(node, name);
}

std::string textOr(const Node& node, const std::string& key, const std::string& fallback) {
  return node.has(key) ? node.text(key) : fallback;
}

// The directions of a surface as stored: random when not recorded (files before the key) or not
// known to this version.
analysis::DirectionKind directionsOf(const Node& node) {
  try {
    if (node.has(schema::kDirs)) return analysis::parseDirectionKind(node.text(schema::kDirs));
  } catch (const InvalidArgument&) {
  }
  return analysis::DirectionKind::Random;
}

// Unfinished grid points (done = 0) become NaN, which the views leave out.
std::vector<double> maskedGrid(const Node& node, const std::string& name) {
  auto v = values(node, name);
  auto done = values(node, schema::kDone);
  if (done.size() == v.size())
    for (size_t i = 0; i < v.size(); ++i)
      if (done[i] == 0) v[i] = std::nan("");
  return v;
}

render::SurfaceFigure surfaceFigure(const Node& node, const std::string& title,
                                    const std::string& field) {
  render::SurfaceFigure s;
  s.grid.xs = values(node, schema::kXCoordinates);
  s.grid.ys = values(node, schema::kYCoordinates);
  s.grid.values = maskedGrid(node, field);
  s.title = title;
  // Named after the data the loss was computed on: a surface's "train" loss is the loss on its
  // --data, which may be a test set.
  const auto dataOf = [&](const char* attribute, const char* fallback) -> std::string {
    const auto it = node.attributes.find(attribute);
    if (it != node.attributes.end())
      if (const auto* spec = std::get_if<std::string>(&it->second); spec && !spec->empty())
        return "loss on " + *spec;
    return fallback;
  };
  s.valueLabel = field == schema::kTrainLoss  ? dataOf(schema::kData, "train loss")
                 : field == schema::kTestLoss ? dataOf(schema::kTestData, "test loss")
                                              : field;
  const auto dirs = directionsOf(node);
  if (dirs == analysis::DirectionKind::Eigen) {
    s.xLabel = "\u03b1 (eigenvector 1)";
    s.yLabel = "\u03b2 (eigenvector 2)";
  } else if (dirs == analysis::DirectionKind::Plane) {
    s.xLabel = "toward the second model (1: B)";
    s.yLabel = "toward the bend (1: \u03b8)";
  } else if (dirs == analysis::DirectionKind::Pca) {
    s.xLabel = "PC 1";
    s.yLabel = "PC 2";
  }
  if (node.groups.count(schema::kTrajectory)) {
    const Node& t = node.group(schema::kTrajectory);
    auto coords = values(t, schema::kCoordinates);
    auto epochs = values(t, schema::kEpochs);
    if (!coords.empty()) {
      auto it = t.datasets.find(schema::kCoordinates);
      const size_t width = it->second.shape.size() == 2 ? size_t(it->second.shape[1]) : 2;
      render::Trajectory traj;
      for (size_t i = 0; (i + 1) * width <= coords.size(); ++i) {
        traj.xs.push_back(coords[i * width]);
        traj.ys.push_back(coords[i * width + 1]);
        if (i < epochs.size()) traj.epochs.push_back(int64_t(epochs[i]));
      }
      if (traj.epochs.size() != traj.xs.size()) traj.epochs.clear();
      s.trajectory = traj;
    }
  }
  return s;
}

std::string lossField(const Node& node) {
  auto v = values(node, schema::kTrainLoss);
  return v.empty() ? schema::kTestLoss : schema::kTrainLoss;
}

std::vector<NamedFigure> surfaceFigures(const Node& node, const std::string& name) {
  std::vector<NamedFigure> out;
  const bool hasY = !values(node, schema::kYCoordinates).empty();
  const bool hasZ = !values(node, schema::kZCoordinates).empty();
  if (hasZ) {
    render::VolumeFigure v;
    v.grid.xs = values(node, schema::kXCoordinates);
    v.grid.ys = values(node, schema::kYCoordinates);
    v.grid.zs = values(node, schema::kZCoordinates);
    v.grid.values = maskedGrid(node, lossField(node));
    v.title = name;
    out.push_back({"volume", v});
  } else if (hasY) {
    auto surface = surfaceFigure(node, name, lossField(node));
    out.push_back({"surface", surface});
    out.push_back({"contour", render::ContourMapFigure{surface}});
    if (!values(node, schema::kTestLoss).empty() && lossField(node) == schema::kTrainLoss) {
      auto test = surfaceFigure(node, name + " (test)", schema::kTestLoss);
      out.push_back({"contour-test", render::ContourMapFigure{test}});
    }
  } else {
    render::CurvesFigure c;
    auto xs = values(node, schema::kXCoordinates);
    c.title = name;
    c.xLabel = directionsOf(node) == analysis::DirectionKind::Interp
                   ? "interpolation \u03b1 (0: first model, 1: second)"
                   : "step \u03b1";
    c.leftLabel = "loss";
    c.rightLabel = "accuracy";
    for (auto [field, label, right, dashed] :
         {std::tuple{schema::kTrainLoss, "train loss", false, false},
          {schema::kTestLoss, "test loss", false, true},
          {schema::kTrainAccuracy, "train accuracy", true, false},
          {schema::kTestAccuracy, "test accuracy", true, true}}) {
      auto ys = maskedGrid(node, field);
      if (ys.size() != xs.size()) continue;
      render::Series s{label, xs, ys, dashed, false};
      (right ? c.right : c.left).push_back(s);
    }
    out.push_back({"curves", c});
  }
  return out;
}

// The rows of a [rows, m] dataset.
std::vector<std::vector<double>> rowsOf(const Node& node, const std::string& name) {
  std::vector<std::vector<double>> rows;
  const auto it = node.datasets.find(name);
  if (it == node.datasets.end() || it->second.shape.size() != 2 || it->second.shape[1] < 1)
    return rows;
  const auto all = it->second.asDoubles();
  const size_t width = size_t(it->second.shape[1]);
  for (size_t start = 0; start + width <= all.size(); start += width)
    rows.emplace_back(all.begin() + long(start), all.begin() + long(start + width));
  return rows;
}

// A density as stored, with SLQ's nodes and weights so the view can smooth it again.
void addDensity(render::DensityFigure& d, const Node& density, const std::string& label) {
  d.densities.push_back(
      {label, values(density, schema::kGrid), values(density, schema::kValues), false, false});
  d.nodes.resize(d.densities.size() - 1);
  d.weights.resize(d.densities.size() - 1);
  d.nodes.push_back(rowsOf(density, schema::kNodes));
  d.weights.push_back(rowsOf(density, schema::kWeights));
}

// In-memory attributes (never stored): the class counts of the run a Hessian analysis's model
// came from, and that run's last per-class test accuracy, when the run is in the same project.
constexpr const char* kTrainingClassCounts = "training_class_counts";
constexpr const char* kRunClassAccuracy = "run_class_accuracy";

Node withTrainingCounts(const training::ProjectFile& project, Node node) {
  if (!node.has(schema::kModel)) return node;
  const std::string model = node.text(schema::kModel);
  if (!training::namesCheckpoint(model)) return node;
  try {
    // The run of that name in this project (the spec's project file is not opened).
    const std::string run = training::ModelSpec::parse(model).run;
    if (!project.exists(schema::runPath(run))) return node;
    const Node runNode = project.read(schema::runPath(run), false);
    if (auto it = runNode.attributes.find(schema::kClassCounts); it != runNode.attributes.end())
      node.attributes[kTrainingClassCounts] = it->second;
    const std::string accuracyPath =
        schema::runPath(run) + "/" + schema::kMetrics + "/" + schema::kPerClassAccuracy;
    if (project.exists(accuracyPath)) {
      const auto accuracy = project.readDataset(accuracyPath);
      if (accuracy.shape.size() == 2 && accuracy.shape[0] > 0) {
        const auto all = accuracy.asDoubles();
        node.attributes[kRunClassAccuracy] =
            std::vector<double>(all.end() - accuracy.shape[1], all.end());
      }
    }
  } catch (const Error&) {
    // A run that cannot be read leaves the analysed data's counts in place.
  }
  return node;
}

// Class sizes of long-tailed data span decades (imbalance 100: 6000 down to 60 samples): a log
// axis then spaces head and tail alike.
bool spansDecades(const std::vector<double>& counts) {
  if (counts.empty()) return false;
  const auto [fewest, most] = std::minmax_element(counts.begin(), counts.end());
  return *fewest > 0 && *most >= 10 * *fewest;
}

// Per-class λ_max and λ_min against each class's sample count, head (most samples) to tail, when
// the counts differ (long-tailed data: the tail classes' saddles, Rangwani et al. 2022).
struct PerClassByCount {
  std::vector<double> counts, lambdaMax, lambdaMin, trace, testAccuracy;
};
// The count of each class: the training run's (kTrainingClassCounts, set by withTrainingCounts)
// when known, else the samples of the analysed data.
PerClassByCount perClassByCount(const Node& node) {
  PerClassByCount out;
  if (!node.groups.count(schema::kPerClass)) return out;
  std::vector<int64_t> training;
  if (auto it = node.attributes.find(kTrainingClassCounts); it != node.attributes.end())
    if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) training = *v;
  std::vector<double> accuracy;
  if (auto it = node.attributes.find(kRunClassAccuracy); it != node.attributes.end())
    if (auto* v = std::get_if<std::vector<double>>(&it->second)) accuracy = *v;
  std::vector<std::array<double, 5>> rows;
  for (auto& [className, cls] : node.group(schema::kPerClass).groups) {
    const size_t index = size_t(std::atoi(className.c_str() + className.find('_') + 1));
    const double count = index < training.size()        ? double(training[index])
                         : cls.has(schema::kClassCount) ? cls.number(schema::kClassCount)
                                                        : NAN;
    if (std::isfinite(count))
      rows.push_back({count, cls.has(schema::kLambdaMax) ? cls.number(schema::kLambdaMax) : NAN,
                      cls.has(schema::kLambdaMin) ? cls.number(schema::kLambdaMin) : NAN,
                      cls.has(schema::kTrace) ? cls.number(schema::kTrace) : NAN,
                      index < accuracy.size() ? accuracy[index] : NAN});
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a[0] > b[0]; });
  if (rows.empty() || rows.front()[0] == rows.back()[0]) return out;  // balanced: nothing to show
  for (const auto& r : rows) {
    out.counts.push_back(r[0]);
    out.lambdaMax.push_back(r[1]);
    out.lambdaMin.push_back(r[2]);
    out.trace.push_back(r[3]);
    out.testAccuracy.push_back(r[4]);
  }
  return out;
}

std::vector<double> scaled(std::vector<double> v, double factor) {
  for (double& x : v) x *= factor;
  return v;
}

std::vector<NamedFigure> hessianFigures(const Node& node, const std::string& name) {
  std::vector<NamedFigure> out;
  if (node.groups.count(schema::kDensity)) {
    render::DensityFigure d;
    d.title = name;
    addDensity(d, node.group(schema::kDensity), "full data");
    d.topEigenvalues.push_back(values(node, schema::kTopEigenvalues));
    out.push_back({"density", d});
  }
  if (node.groups.count(schema::kPerClass)) {
    const Node& perClass = node.group(schema::kPerClass);
    render::DensityFigure d;
    d.title = name + ": per-class spectra";
    render::BarsFigure bars;
    bars.title = name + ": per-class curvature";
    bars.xLabel = "class (samples)";
    bars.yLabel = "eigenvalue";
    render::BarSeries top{"\u03bb_max", {}}, bottom{"\u03bb_min", {}};
    // Traces sum every eigenvalue and dwarf λ_max: they get their own chart.
    render::BarsFigure traces;
    traces.title = name + ": per-class Hessian trace";
    traces.xLabel = bars.xLabel;
    traces.yLabel = "trace (Hutchinson)";
    render::BarSeries trace{"trace", {}};
    for (auto& [className, cls] : perClass.groups) {
      const std::string count =
          cls.has(schema::kClassCount)
              ? " (" + std::to_string(int64_t(cls.number(schema::kClassCount))) + ")"
              : "";
      const std::string label = textOr(cls, schema::kClassName, className) + count;
      if (cls.groups.count(schema::kDensity)) {
        addDensity(d, cls.group(schema::kDensity), label);
        d.topEigenvalues.push_back({});
      }
      bars.categories.push_back(label);
      top.values.push_back(cls.has(schema::kLambdaMax) ? cls.number(schema::kLambdaMax)
                                                       : std::nan(""));
      bottom.values.push_back(cls.has(schema::kLambdaMin) ? cls.number(schema::kLambdaMin)
                                                          : std::nan(""));
      if (cls.has(schema::kTrace)) {
        traces.categories.push_back(label);
        trace.values.push_back(cls.number(schema::kTrace));
      }
    }
    // Ten overlaid spectra are hard to tell apart: a panel each (the view's menu overlays them).
    d.smallMultiples = d.densities.size() > kMostOverlaidClasses;
    if (!d.densities.empty()) out.push_back({"per-class-density", d});
    bars.series.push_back(top);
    bool anyBottom = false;
    for (double v : bottom.values) anyBottom |= !std::isnan(v);
    if (anyBottom) bars.series.push_back(bottom);
    if (!bars.categories.empty()) out.push_back({"per-class-bars", bars});
    if (!traces.categories.empty()) {
      traces.series.push_back(trace);
      out.push_back({"per-class-trace", traces});
    }
    if (auto byCount = perClassByCount(node); !byCount.counts.empty()) {
      render::CurvesFigure c;
      c.title = name + ": per-class curvature against class size";
      c.xLabel = "training samples of the class";
      c.logX = spansDecades(byCount.counts);
      c.leftLabel = "eigenvalue of the class's loss Hessian";
      c.left.push_back({"\u03bb_max", byCount.counts, byCount.lambdaMax, false, true});
      c.left.push_back({"\u03bb_min", byCount.counts, byCount.lambdaMin, true, true});
      if (std::any_of(byCount.trace.begin(), byCount.trace.end(),
                      [](double v) { return std::isfinite(v); }))
        c.left.push_back({"trace / 10", byCount.counts, scaled(byCount.trace, 0.1), false, true});
      if (std::any_of(byCount.testAccuracy.begin(), byCount.testAccuracy.end(),
                      [](double v) { return std::isfinite(v); })) {
        c.rightLabel = "test accuracy (the run's last epoch)";
        c.right.push_back({"test accuracy", byCount.counts, byCount.testAccuracy, true, true});
      }
      out.push_back({"per-class-vs-count", c});
    }
  }
  if (node.groups.count(schema::kBatchSweep)) {
    const Node& sweep = node.group(schema::kBatchSweep);
    render::CurvesFigure c;
    c.title = name + ": mini-batch \u03bb_max";
    c.xLabel = "batch size";
    c.leftLabel = "\u03bb_max";
    auto sizes = values(sweep, schema::kBatchSizes);
    c.left.push_back(
        {"mean over batches", sizes, values(sweep, schema::kLambdaMaxMean), false, true});
    if (sweep.has(schema::kLambdaMaxFull))
      c.left.push_back({"full data", sizes,
                        std::vector<double>(sizes.size(), sweep.number(schema::kLambdaMaxFull)),
                        true, false});
    out.push_back({"batch-sweep", c});
  }
  return out;
}

std::vector<NamedFigure> quantizeFigures(const Node& node, const std::string& name) {
  render::CurvesFigure c;
  c.title = name;
  c.xLabel = "weight bits";
  c.leftLabel = "test accuracy";
  auto bits = values(node, schema::kBits);
  if (node.groups.count(schema::kPerTensor))
    c.left.push_back({"per tensor", bits,
                      values(node.group(schema::kPerTensor), schema::kTestAccuracy), true, true});
  if (node.groups.count(schema::kPerChannel))
    c.left.push_back({"per channel", bits,
                      values(node.group(schema::kPerChannel), schema::kTestAccuracy), false, true});
  if (node.groups.count(schema::kHawq)) {
    const Node& hawq = node.group(schema::kHawq);
    if (hawq.has(schema::kAverageBits) && hawq.has(schema::kTestAccuracy))
      c.left.push_back({"HAWQ mixed precision",
                        {hawq.number(schema::kAverageBits)},
                        {hawq.number(schema::kTestAccuracy)},
                        false,
                        true});
  }
  return {{"accuracy-vs-bits", c}};
}

}  // namespace

std::vector<double> datasetValues(const Node& node, const std::string& name) {
  auto it = node.datasets.find(name);
  return it == node.datasets.end() ? std::vector<double>{} : it->second.asDoubles();
}

std::vector<NamedFigure> figuresForRun(const training::ProjectFile& project,
                                       const std::string& run) {
  auto node = project.read(schema::runPath(run));
  if (!node.groups.count(schema::kMetrics)) return {};
  const Node& m = node.group(schema::kMetrics);
  auto epochs = values(m, schema::kEpoch);
  render::CurvesFigure c;
  c.title = run + " (" + textOr(node, schema::kOptimizer, "?") + ")";
  c.xLabel = "epoch";
  c.leftLabel = "loss";
  c.rightLabel = "accuracy";
  c.left.push_back({"train loss", epochs, values(m, schema::kTrainLoss), false, true});
  c.left.push_back({"test loss", epochs, values(m, schema::kTestLoss), true, true});
  c.right.push_back({"train accuracy", epochs, values(m, schema::kTrainAccuracy), false, false});
  c.right.push_back({"test accuracy", epochs, values(m, schema::kTestAccuracy), true, false});
  std::vector<NamedFigure> out{{"metrics", c}};
  auto perClass = m.datasets.find(schema::kPerClassAccuracy);
  if (perClass != m.datasets.end() && perClass->second.shape.size() == 2) {
    render::CurvesFigure pc;
    pc.title = run + ": test accuracy per class";
    pc.xLabel = "epoch";
    pc.leftLabel = "accuracy";
    const auto all = perClass->second.asDoubles();
    const int64_t rows = perClass->second.shape[0], classes = perClass->second.shape[1];
    std::vector<std::string> names;
    if (node.attributes.count(schema::kClassNames))
      if (auto* n = std::get_if<std::vector<std::string>>(&node.attributes.at(schema::kClassNames)))
        names = *n;
    for (int64_t c2 = 0; c2 < classes; ++c2) {
      std::vector<double> ys;
      for (int64_t r = 0; r < rows; ++r) ys.push_back(all[r * classes + c2]);
      pc.left.push_back({c2 < int64_t(names.size()) ? names[c2] : "class " + std::to_string(c2),
                         epochs, ys, false, false});
    }
    pc.smallMultiples = pc.left.size() > kMostOverlaidClasses;
    out.push_back({"per-class-accuracy", pc});
  }
  return out;
}

std::vector<NamedFigure> figuresForAnalysis(const training::ProjectFile& project,
                                            const std::string& analysis) {
  auto node = project.read(schema::analysisPath(analysis));
  auto kind = textOr(node, schema::kKind, "");
  if (kind == schema::kKindSurface) return surfaceFigures(node, analysis);
  if (kind == schema::kKindHessian)
    return hessianFigures(withTrainingCounts(project, node), analysis);
  if (kind == schema::kKindQuantize) return quantizeFigures(node, analysis);
  if (kind == schema::kKindRobustness) return robustnessFigures(node, analysis);
  if (kind == schema::kKindSharpness) return sharpnessFigures(node, analysis);
  if (kind == schema::kKindGeneralization) return generalizationFigures(node, analysis);
  if (kind == schema::kKindConnectivity) return connectivityFigures(node, analysis);
  throw ProjectError("analysis '" + analysis + "' has kind '" + kind +
                     "', which Flatland cannot draw");
}

namespace {

// Whether every surface was computed along the same direction vectors (shared with --from, or
// the same stored set), as opposed to each along its own normalised random draw.
bool shareDirections(const std::vector<Node>& nodes) {
  const auto directionValues = [](const Node& node) {
    std::vector<std::vector<double>> out;
    if (!node.groups.count(schema::kDirections)) return out;
    const Node& d = node.group(schema::kDirections);
    for (int k = 0; d.datasets.count(schema::directionName(k)); ++k)
      out.push_back(values(d, schema::directionName(k)));
    return out;
  };
  const auto first = directionValues(nodes[0]);
  if (first.empty()) return false;
  for (size_t i = 1; i < nodes.size(); ++i)
    if (directionValues(nodes[i]) != first) return false;
  return true;
}

// The grid index nearest to v along an axis (0: the model the surface is centred on).
size_t nearestIndex(const std::vector<double>& axis, double v) {
  size_t best = 0;
  for (size_t i = 1; i < axis.size(); ++i)
    if (std::abs(axis[i] - v) < std::abs(axis[best] - v)) best = i;
  return best;
}

// The loss along each axis through the centre of each surface, overlaid: which minimum is
// wider reads off the curves directly (#13: "overlaid 1-D slices through the minimum").
render::CurvesFigure centreSlices(const std::vector<render::SurfaceFigure>& surfaces,
                                  const std::vector<std::string>& names) {
  render::CurvesFigure c;
  c.title = "slices through the centre";
  c.xLabel = "step along the direction";
  c.leftLabel = surfaces.front().valueLabel;
  for (size_t i = 0; i < surfaces.size(); ++i) {
    const auto& g = surfaces[i].grid;
    const size_t iy = nearestIndex(g.ys, 0.0), ix = nearestIndex(g.xs, 0.0);
    std::vector<double> alongX, alongY;
    for (size_t x = 0; x < g.nx(); ++x) alongX.push_back(g.at(iy, x));
    for (size_t y = 0; y < g.ny(); ++y) alongY.push_back(g.at(y, ix));
    c.left.push_back({names[i] + ": along " + surfaces[i].xLabel, g.xs, alongX, false, false});
    c.left.push_back({names[i] + ": along " + surfaces[i].yLabel, g.ys, alongY, true, false});
  }
  return c;
}

// The loss value at a grid point nearest to (x, y); NaN when not computed.
double valueNear(const render::SurfaceGrid& g, double x, double y) {
  return g.at(nearestIndex(g.ys, y), nearestIndex(g.xs, x));
}

// Key numbers of each surface side by side, written on the bars: the smallest loss, the loss at
// the centre, the mean loss half a unit away along both axes (the width of the basin at a
// glance) and the accuracy at the centre.
render::BarsFigure surfaceSummary(const std::vector<render::SurfaceFigure>& surfaces,
                                  const std::vector<double>& centreAccuracy,
                                  const std::vector<std::string>& names) {
  render::BarsFigure b;
  b.title = "loss surfaces in numbers";
  b.yLabel = surfaces.front().valueLabel + " / accuracy";
  b.valueLabels = true;
  render::BarSeries minimum{"smallest loss", {}}, centre{"loss at the centre", {}},
      half{"mean loss at ±0.5", {}}, accuracy{"accuracy at the centre", centreAccuracy};
  for (size_t i = 0; i < surfaces.size(); ++i) {
    const auto& g = surfaces[i].grid;
    double lowest = std::nan("");
    for (double v : g.values)
      if (std::isfinite(v) && !(v >= lowest)) lowest = v;
    minimum.values.push_back(lowest);
    centre.values.push_back(valueNear(g, 0.0, 0.0));
    double sum = 0.0;
    int count = 0;
    for (auto [x, y] : {std::pair{0.5, 0.0}, {-0.5, 0.0}, {0.0, 0.5}, {0.0, -0.5}})
      if (const double v = valueNear(g, x, y); std::isfinite(v)) sum += v, ++count;
    half.values.push_back(count ? sum / count : std::nan(""));
    b.categories.push_back(names[i]);
  }
  b.series = {minimum, centre, half, accuracy};
  return b;
}

// Where a spec's model lives, comparable across spellings of one project's path: the project
// file's canonical path, then "/runs/RUN" (with "@EPOCH" when given) for checkpoints; the spec
// itself otherwise.
std::string modelKey(const std::string& spec) {
  if (!training::namesCheckpoint(spec)) return spec;
  try {
    const auto parsed = training::ModelSpec::parse(spec);
    std::error_code ec;
    const auto file = std::filesystem::weakly_canonical(parsed.name, ec);
    return (ec ? parsed.name : file.string()) + ":" + schema::runPath(parsed.run) +
           (parsed.epoch ? "@" + std::to_string(*parsed.epoch) : std::string());
  } catch (const Error&) {
    return spec;
  }
}

// λ_max and the trace of the newest Hessian analysis of each surface's model in the project,
// preferring one that has both (NaN where there is none), so the comparison puts the curvature
// beside the surfaces; nullopt when no surface's model has one.
std::optional<render::BarsFigure> surfaceCurvature(const training::ProjectFile& project,
                                                   const std::vector<Node>& surfaces,
                                                   const std::vector<std::string>& names) {
  struct Found {
    std::string created;
    double lambdaMax = std::nan(""), trace = std::nan("");
  };
  std::map<std::string, Found> newest;  // by model key
  if (project.exists(schema::kAnalysesPath))
    for (const auto& name : project.list(schema::kAnalysesPath)) {
      Node node;
      try {
        node = project.read(schema::analysisPath(name), false);
      } catch (const Error&) {
        continue;  // one being written, or damaged: the others still count
      }
      if (textOr(node, schema::kKind, "") != schema::kKindHessian || !node.has(schema::kModel))
        continue;
      Found f{textOr(node, schema::kCreated, ""),
              node.has(schema::kLambdaMax) ? node.number(schema::kLambdaMax) : std::nan(""),
              node.has(schema::kTrace) ? node.number(schema::kTrace) : std::nan("")};
      if (std::isnan(f.lambdaMax) && std::isnan(f.trace)) continue;
      // The newest analysis with both numbers, else the newest with one.
      const auto both = [](const Found& x) {
        return !std::isnan(x.lambdaMax) && !std::isnan(x.trace);
      };
      const auto [slot, added] = newest.try_emplace(modelKey(node.text(schema::kModel)), f);
      if (!added &&
          std::pair(both(f), f.created) >= std::pair(both(slot->second), slot->second.created))
        slot->second = f;
    }
  render::BarsFigure b;
  b.title = "curvature at the centre (Hessian analyses of the same models)";
  b.yLabel = "value";
  b.valueLabels = true;
  render::BarSeries lmax{"\u03bb_max", {}}, trace{"trace / 100", {}};
  bool any = false;
  for (size_t i = 0; i < surfaces.size(); ++i) {
    Found f;
    if (surfaces[i].has(schema::kModel))
      if (auto it = newest.find(modelKey(surfaces[i].text(schema::kModel))); it != newest.end())
        f = it->second, any = true;
    b.categories.push_back(names[i]);
    lmax.values.push_back(f.lambdaMax);
    trace.values.push_back(f.trace / 100.0);
  }
  if (!any) return std::nullopt;
  b.series = {lmax, trace};
  return b;
}

// Loss of the second surface minus the first's, point by point, when both lie on one grid along
// the same directions (blue: the second is lower, red: higher).
std::optional<render::ContourMapFigure> differenceMap(const render::SurfaceFigure& a,
                                                      const render::SurfaceFigure& b,
                                                      const std::vector<std::string>& names) {
  if (a.grid.xs != b.grid.xs || a.grid.ys != b.grid.ys) return std::nullopt;
  render::SurfaceFigure d = a;
  for (size_t i = 0; i < d.grid.values.size(); ++i)
    d.grid.values[i] = b.grid.values[i] - a.grid.values[i];
  d.title = names[1] + " − " + names[0];
  d.valueLabel = "loss of " + names[1] + " − loss of " + names[0];
  d.colorMap = render::ColorMapName::Coolwarm;
  d.trajectory.reset();
  d.markMinimum = false;
  return render::ContourMapFigure{d};
}

std::vector<NamedFigure> surfaceComparison(const training::ProjectFile& project,
                                           const std::vector<Node>& nodes,
                                           const std::vector<std::string>& names) {
  const std::string along =
      shareDirections(nodes) ? "along shared directions" : "each along its own directions";
  const bool oneDimensional = values(nodes[0], schema::kYCoordinates).empty();
  for (size_t i = 0; i < nodes.size(); ++i)
    if (values(nodes[i], schema::kYCoordinates).empty() != oneDimensional ||
        !values(nodes[i], schema::kZCoordinates).empty())
      throw InvalidArgument("surface '" + names[i] + "' has another number of axes than '" +
                            names[0] + "'; compare 1-D with 1-D or 2-D with 2-D surfaces");
  if (oneDimensional) {
    render::CurvesFigure c;
    c.title = "loss along one direction (" + along + ")";
    c.xLabel = directionsOf(nodes[0]) == analysis::DirectionKind::Interp ? "interpolation \u03b1"
                                                                         : "step \u03b1";
    c.leftLabel = "loss";
    for (size_t i = 0; i < nodes.size(); ++i)
      c.left.push_back({names[i], values(nodes[i], schema::kXCoordinates),
                        maskedGrid(nodes[i], lossField(nodes[i])), false, false});
    return {{"curve-comparison", c}};
  }
  render::ComparisonFigure comparison;
  comparison.title = "loss surfaces, " + along;
  for (size_t i = 0; i < nodes.size(); ++i)
    comparison.panels.push_back(surfaceFigure(nodes[i], names[i], lossField(nodes[i])));
  std::vector<NamedFigure> out{{"comparison", comparison}};
  render::ComparisonFigure contours = comparison;
  contours.title = "contour maps, one loss range, " + along;
  contours.contours = true;
  out.push_back({"contours", contours});
  out.push_back({"slices", centreSlices(comparison.panels, names)});
  std::vector<double> centreAccuracy;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto accuracy =
        surfaceFigure(nodes[i], names[i],
                      lossField(nodes[i]) == schema::kTrainLoss ? schema::kTrainAccuracy
                                                                : schema::kTestAccuracy)
            .grid;
    centreAccuracy.push_back(accuracy.values.size() == accuracy.nx() * accuracy.ny()
                                 ? valueNear(accuracy, 0.0, 0.0)
                                 : std::nan(""));
  }
  out.push_back({"surface-summary", surfaceSummary(comparison.panels, centreAccuracy, names)});
  if (auto curvature = surfaceCurvature(project, nodes, names))
    out.push_back({"surface-curvature", *curvature});
  if (nodes.size() == 2 && shareDirections(nodes))
    if (auto difference = differenceMap(comparison.panels[0], comparison.panels[1], names))
      out.push_back({"difference", *difference});
  return out;
}

std::vector<NamedFigure> hessianComparison(const std::vector<Node>& nodes,
                                           const std::vector<std::string>& names) {
  render::DensityFigure d;
  d.title = "Hessian spectral densities";
  render::BarsFigure bars;
  bars.title = "curvature";
  bars.yLabel = "value";
  render::BarSeries lmax{"\u03bb_max", {}}, trace{"trace / 100", {}};
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].groups.count(schema::kDensity)) {
      addDensity(d, nodes[i].group(schema::kDensity), names[i]);
      d.topEigenvalues.push_back(values(nodes[i], schema::kTopEigenvalues));
    }
    bars.categories.push_back(names[i]);
    lmax.values.push_back(nodes[i].has(schema::kLambdaMax) ? nodes[i].number(schema::kLambdaMax)
                                                           : std::nan(""));
    trace.values.push_back(nodes[i].has(schema::kTrace) ? nodes[i].number(schema::kTrace) / 100.0
                                                        : std::nan(""));
  }
  bars.series = {lmax, trace};
  std::vector<NamedFigure> out;
  if (!d.densities.empty()) out.push_back({"density-comparison", d});
  out.push_back({"curvature-comparison", bars});
  render::CurvesFigure tails;
  tails.title = "per-class \u03bb_min against class size";
  tails.xLabel = "training samples of the class";
  tails.leftLabel = "\u03bb_min of the class's loss Hessian";
  std::vector<double> allCounts;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (auto byCount = perClassByCount(nodes[i]); !byCount.counts.empty()) {
      tails.left.push_back({names[i], byCount.counts, byCount.lambdaMin, false, true});
      allCounts.insert(allCounts.end(), byCount.counts.begin(), byCount.counts.end());
    }
  tails.logX = spansDecades(allCounts);
  if (!tails.left.empty()) out.push_back({"per-class-count-comparison", tails});
  return out;
}

std::vector<NamedFigure> quantizeComparison(const std::vector<Node>& nodes,
                                            const std::vector<std::string>& names) {
  render::CurvesFigure c;
  c.title = "accuracy vs bits";
  c.xLabel = "weight bits";
  c.leftLabel = "test accuracy (per channel)";
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].groups.count(schema::kPerChannel))
      c.left.push_back({names[i], values(nodes[i], schema::kBits),
                        values(nodes[i].group(schema::kPerChannel), schema::kTestAccuracy), false,
                        true});
  return {{"quantize-comparison", c}};
}

}  // namespace

std::vector<NamedFigure> comparisonFigures(const training::ProjectFile& project,
                                           const std::vector<std::string>& analyses) {
  // Group by kind, keeping the order the user chose.
  std::vector<std::string> kinds;
  std::map<std::string, std::pair<std::vector<Node>, std::vector<std::string>>> byKind;
  for (auto& a : analyses) {
    Node node = project.read(schema::analysisPath(a));
    const std::string kind = textOr(node, schema::kKind, "");
    if (!byKind.count(kind)) kinds.push_back(kind);
    byKind[kind].first.push_back(kind == schema::kKindHessian
                                     ? withTrainingCounts(project, std::move(node))
                                     : std::move(node));
    byKind[kind].second.push_back(a);
  }
  std::vector<NamedFigure> out;
  for (const std::string& kind : kinds) {
    const auto& [nodes, names] = byKind[kind];
    if (nodes.size() < 2) continue;
    std::vector<NamedFigure> figures;
    if (kind == schema::kKindSurface)
      figures = surfaceComparison(project, nodes, names);
    else if (kind == schema::kKindHessian)
      figures = hessianComparison(nodes, names);
    else if (kind == schema::kKindQuantize)
      figures = quantizeComparison(nodes, names);
    else if (kind == schema::kKindRobustness)
      figures = robustnessComparison(nodes, names);
    else if (kind == schema::kKindSharpness)
      figures = sharpnessComparison(nodes, names);
    else if (kind == schema::kKindConnectivity)
      figures = connectivityComparison(nodes, names);
    else
      throw InvalidArgument("analyses of kind '" + kind + "' cannot be compared");
    for (auto& f : figures) out.push_back(std::move(f));
  }
  if (out.empty())
    throw InvalidArgument(
        "choose two or more analyses of one kind to compare (surfaces, Hessian analyses, "
        "quantization sweeps, robustness, sharpness or connectivity analyses)");
  return out;
}

std::vector<NamedFigure> runComparisonFigures(const training::ProjectFile& project,
                                              const std::vector<std::string>& runs) {
  if (runs.size() < 2) throw InvalidArgument("choose two or more runs to compare");
  render::CurvesFigure accuracy, loss;
  accuracy.title = "test accuracy";
  accuracy.xLabel = loss.xLabel = "epoch";
  accuracy.leftLabel = "test accuracy";
  loss.title = "loss (solid: train, dashed: test)";
  loss.leftLabel = "loss";
  for (const std::string& run : runs) {
    const Node node = project.read(schema::runPath(run));
    if (!node.groups.count(schema::kMetrics))
      throw InvalidArgument("run '" + run + "' has no metrics yet");
    const Node& m = node.group(schema::kMetrics);
    const auto epochs = values(m, schema::kEpoch);
    const std::string label = run + " (" + textOr(node, schema::kOptimizer, "?") + ")";
    accuracy.left.push_back({label, epochs, values(m, schema::kTestAccuracy), false, true});
    loss.left.push_back({label + " train", epochs, values(m, schema::kTrainLoss), false, false});
    loss.left.push_back({label + " test", epochs, values(m, schema::kTestLoss), true, false});
  }
  return {{"accuracy-comparison", accuracy}, {"loss-comparison", loss}};
}

namespace {
void seriesCsv(std::ostringstream& out, const std::vector<render::Series>& series) {
  for (auto& s : series) {
    out << "# " << s.label << "\nx,y\n";
    for (size_t i = 0; i < s.xs.size() && i < s.ys.size(); ++i)
      out << s.xs[i] << "," << s.ys[i] << "\n";
  }
}
void gridCsv(std::ostringstream& out, const render::SurfaceGrid& g) {
  out << "x,y,value\n";
  for (size_t iy = 0; iy < g.ny(); ++iy)
    for (size_t ix = 0; ix < g.nx(); ++ix)
      out << g.xs[ix] << "," << g.ys[iy] << "," << g.at(iy, ix) << "\n";
}
}  // namespace

std::string figureCsv(const render::Figure& figure) {
  std::ostringstream out;
  out.precision(10);
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, render::SurfaceFigure>) {
          gridCsv(out, f.grid);
        } else if constexpr (std::is_same_v<T, render::ContourMapFigure>) {
          gridCsv(out, f.surface.grid);
        } else if constexpr (std::is_same_v<T, render::ComparisonFigure>) {
          for (auto& p : f.panels) {
            out << "# " << p.title << "\n";
            gridCsv(out, p.grid);
          }
        } else if constexpr (std::is_same_v<T, render::VolumeFigure>) {
          out << "x,y,z,value\n";
          for (size_t iz = 0; iz < f.grid.nz(); ++iz)
            for (size_t iy = 0; iy < f.grid.ny(); ++iy)
              for (size_t ix = 0; ix < f.grid.nx(); ++ix)
                out << f.grid.xs[ix] << "," << f.grid.ys[iy] << "," << f.grid.zs[iz] << ","
                    << f.grid.at(iz, iy, ix) << "\n";
        } else if constexpr (std::is_same_v<T, render::CurvesFigure>) {
          seriesCsv(out, f.left);
          seriesCsv(out, f.right);
        } else if constexpr (std::is_same_v<T, render::DensityFigure>) {
          seriesCsv(out, f.densities);
        } else if constexpr (std::is_same_v<T, render::BarsFigure>) {
          out << "category";
          for (auto& s : f.series) out << "," << s.label;
          out << "\n";
          for (size_t i = 0; i < f.categories.size(); ++i) {
            out << f.categories[i];
            for (auto& s : f.series)
              out << "," << (i < s.values.size() ? s.values[i] : std::nan(""));
            out << "\n";
          }
        }
      },
      figure);
  return out.str();
}

}  // namespace flatland::app
