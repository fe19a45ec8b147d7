#include "robustness_figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "flatland/training/attack_choices.h"
#include "flatland/training/project_schema.h"

namespace flatland::app {

namespace {

using training::Node;

std::vector<double> values(const Node& node, const std::string& name) {
  return datasetValues(node, name);
}

std::vector<std::string> classNames(const Node& node, size_t classes) {
  std::vector<std::string> names;
  auto it = node.attributes.find(schema::kClassNames);
  if (it != node.attributes.end())
    if (auto* n = std::get_if<std::vector<std::string>>(&it->second)) names = *n;
  for (size_t c = names.size(); c < classes; ++c) names.push_back("class " + std::to_string(c));
  names.resize(classes);
  return names;
}

std::string epsLabel(const Node& node) {
  const bool pixels = node.has(schema::kUnits) &&
                      node.text(schema::kUnits) == training::toString(training::InputUnits::Pixel);
  return pixels ? "\u03b5 (pixels in [0, 1])" : "\u03b5 (data units)";
}

std::string label(const std::string& attack) {
  return attack == "fgsm"     ? "FGSM"
         : attack == "pgd"    ? "PGD-\u2113\u221e"
         : attack == "pgd-l2" ? "PGD-\u21132"
                              : attack;
}

render::CurvesFigure robustCurves(const Node& node, const std::string& name) {
  render::CurvesFigure c;
  c.title = name + ": robust accuracy";
  c.xLabel = epsLabel(node);
  c.leftLabel = "accuracy";
  const Node& attacks = node.group(schema::kAttacks);
  double lo = INFINITY, hi = -INFINITY;
  bool dashed = false;
  for (const auto& [attack, group] : attacks.groups) {
    auto eps = values(group, schema::kEps);
    for (double e : eps) lo = std::min(lo, e), hi = std::max(hi, e);
    c.left.push_back({label(attack), eps, values(group, schema::kAccuracy), dashed, true});
    dashed = !dashed;
  }
  if (node.has(schema::kCleanAccuracy) && std::isfinite(lo))
    c.left.push_back({"clean",
                      {lo, hi},
                      std::vector<double>(2, node.number(schema::kCleanAccuracy)),
                      true,
                      false});
  return c;
}

render::BarsFigure perClassBars(const Node& node, const std::string& name) {
  auto clean = values(node, schema::kCleanPerClassAccuracy);
  render::BarsFigure b;
  b.categories = classNames(node, clean.size());
  b.title = name + ": accuracy per class at the largest \u03b5";
  b.yLabel = "accuracy";
  b.series.push_back({"clean", clean});
  const Node& attacks = node.group(schema::kAttacks);
  for (const auto& [attack, group] : attacks.groups) {
    auto it = group.datasets.find(schema::kPerClassAccuracy);
    if (it == group.datasets.end() || it->second.shape.size() != 2) continue;
    const auto all = it->second.asDoubles();
    const auto rows = size_t(it->second.shape[0]), classes = size_t(it->second.shape[1]);
    if (rows == 0 || classes != clean.size()) continue;
    char text[64];
    std::snprintf(text, sizeof text, "%s, \u03b5 = %g", label(attack).c_str(),
                  values(group, schema::kEps).back());
    b.series.push_back({text, std::vector<double>(all.end() - long(classes), all.end())});
  }
  return b;
}

// Counts of λ_max per bin and class: one series per class present.
render::BarsFigure curvatureHistogram(const Node& node, const std::string& name) {
  const Node& c = node.group(schema::kInputCurvature);
  auto lambda = values(c, schema::kLambdaMax);
  auto labels = values(c, schema::kLabels);
  double lo = INFINITY, hi = -INFINITY;
  for (double v : lambda)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  const int bins = 12;
  if (!(hi > lo)) hi = lo + 1;
  const double width = (hi - lo) / bins;
  size_t classes = 0;
  for (double y : labels) classes = std::max(classes, size_t(y) + 1);
  auto names = classNames(node, classes);
  std::vector<std::vector<double>> counts(classes, std::vector<double>(bins, 0.0));
  for (size_t i = 0; i < lambda.size() && i < labels.size(); ++i) {
    if (!std::isfinite(lambda[i])) continue;
    const int bin = std::min(bins - 1, int((lambda[i] - lo) / width));
    counts[size_t(labels[i])][size_t(bin)] += 1;
  }
  render::BarsFigure b;
  b.title = name + ": input-Hessian \u03bb_max per class";
  b.xLabel = "\u03bb_max of \u2207\u00b2\u2093\u2113 (bin centre)";
  b.yLabel = "samples";
  for (int k = 0; k < bins; ++k) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", lo + (k + 0.5) * width);
    b.categories.push_back(text);
  }
  for (size_t cls = 0; cls < classes; ++cls) {
    double total = 0;
    for (double v : counts[cls]) total += v;
    if (total > 0) b.series.push_back({names[cls], counts[cls]});
  }
  return b;
}

render::BarsFigure corruptionBars(const Node& node, const std::string& name) {
  const Node& c = node.group(schema::kCorruptions);
  render::BarsFigure b;
  if (auto it = c.attributes.find(schema::kNames); it != c.attributes.end())
    if (auto* n = std::get_if<std::vector<std::string>>(&it->second)) b.categories = *n;
  for (auto& category : b.categories) std::replace(category.begin(), category.end(), '_', ' ');
  auto accuracy = values(c, schema::kAccuracy);
  const size_t corruptions = b.categories.size();
  const size_t severities = corruptions ? accuracy.size() / corruptions : 0;
  for (size_t s = 0; s < severities; ++s) {
    std::vector<double> row;
    for (size_t k = 0; k < corruptions; ++k) row.push_back(accuracy[k * severities + s]);
    b.series.push_back({"severity " + std::to_string(s + 1), row});
  }
  char title[160];
  std::snprintf(title, sizeof title, "%s: accuracy under noise (mean %.3f)", name.c_str(),
                c.has(schema::kMeanAccuracy) ? c.number(schema::kMeanAccuracy) : NAN);
  b.title = title;
  b.yLabel = "accuracy";
  return b;
}

// The sample the input surface is centred on, from its stored [C, H, W] pixels (absent when the
// data set has no pixel scale, or the shape is not an image's).
std::optional<render::SampleImage> sampleImage(const Node& surface, std::string caption) {
  auto it = surface.datasets.find(schema::kImage);
  if (it == surface.datasets.end()) return std::nullopt;
  const auto& shape = it->second.shape;
  if (shape.size() != 3 || (shape[0] != 1 && shape[0] != 3) || shape[1] < 1 || shape[2] < 1)
    return std::nullopt;
  const auto chw = it->second.asDoubles();
  render::SampleImage image;
  image.channels = shape[0];
  image.height = shape[1];
  image.width = shape[2];
  if (chw.size() != size_t(image.channels * image.height * image.width)) return std::nullopt;
  image.pixels.resize(chw.size());
  const int64_t plane = image.height * image.width;
  for (int64_t c = 0; c < image.channels; ++c)
    for (int64_t i = 0; i < plane; ++i)
      image.pixels[size_t(i * image.channels + c)] = chw[size_t(c * plane + i)];
  image.caption = std::move(caption);
  return image;
}

render::ContourMapFigure inputSurface(const Node& node, const std::string& name) {
  const Node& s = node.group(schema::kInputSurface);
  auto axis = values(s, schema::kAxis);
  auto loss = values(s, schema::kLoss);  // [adversarial i][random j]
  render::SurfaceFigure f;
  f.grid.xs = axis;
  f.grid.ys = axis;
  const size_t n = axis.size();
  f.grid.values.resize(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n && i * n + j < loss.size(); ++j)
      f.grid.values[j * n + i] = loss[i * n + j];
  char title[160];
  std::snprintf(title, sizeof title, "%s: input-space loss around sample %lld (class %lld)",
                name.c_str(),
                static_cast<long long>(s.has(schema::kSample) ? s.number(schema::kSample) : -1),
                static_cast<long long>(s.has(schema::kLabel) ? s.number(schema::kLabel) : -1));
  f.title = title;
  f.xLabel = "adversarial direction sign(\u2207\u2093\u2113)";
  f.yLabel = "random direction";
  f.valueLabel = "loss";
  const int64_t label = s.has(schema::kLabel) ? int64_t(s.number(schema::kLabel)) : -1;
  const std::string caption =
      label >= 0 ? classNames(node, size_t(label) + 1)[size_t(label)] : "the sample";
  return render::ContourMapFigure{f, sampleImage(s, caption)};
}

}  // namespace

std::vector<NamedFigure> robustnessFigures(const Node& node, const std::string& name) {
  std::vector<NamedFigure> out;
  if (node.groups.count(schema::kAttacks)) {
    out.push_back({"robust-accuracy", robustCurves(node, name)});
    out.push_back({"robust-accuracy-per-class", perClassBars(node, name)});
  }
  if (node.groups.count(schema::kInputCurvature))
    out.push_back({"input-curvature", curvatureHistogram(node, name)});
  if (node.groups.count(schema::kCorruptions))
    out.push_back({"corruptions", corruptionBars(node, name)});
  if (node.groups.count(schema::kInputSurface))
    out.push_back({"input-surface", inputSurface(node, name)});
  return out;
}

std::vector<NamedFigure> robustnessComparison(const std::vector<Node>& nodes,
                                              const std::vector<std::string>& names) {
  render::CurvesFigure curves;
  curves.title = "robust accuracy";
  curves.leftLabel = "accuracy";
  render::BarsFigure bars;
  bars.title = "accuracy under noise (mean over severities)";
  bars.yLabel = "accuracy";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (curves.xLabel.empty()) curves.xLabel = epsLabel(nodes[i]);
    if (nodes[i].groups.count(schema::kAttacks))
      for (const auto& [attack, group] : nodes[i].group(schema::kAttacks).groups)
        curves.left.push_back({names[i] + ": " + label(attack), values(group, schema::kEps),
                               values(group, schema::kAccuracy), attack != "pgd", true});
    if (nodes[i].groups.count(schema::kCorruptions)) {
      auto b = corruptionBars(nodes[i], names[i]);
      if (bars.categories.empty()) bars.categories = b.categories;
      std::vector<double> means(b.categories.size(), 0.0);
      for (const auto& s : b.series)
        for (size_t k = 0; k < means.size() && k < s.values.size(); ++k)
          means[k] += s.values[k] / double(b.series.size());
      bars.series.push_back({names[i], means});
    }
  }
  std::vector<NamedFigure> out;
  if (!curves.left.empty()) out.push_back({"robustness-comparison", curves});
  if (bars.series.size() >= 2) out.push_back({"corruption-comparison", bars});
  return out;
}

}  // namespace flatland::app
