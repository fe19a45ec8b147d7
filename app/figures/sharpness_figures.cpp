#include "sharpness_figures.h"

#include <algorithm>
#include <cmath>

#include "flatland/analysis/perturbation_norm.h"
#include "flatland/training/project_schema.h"

namespace flatland::app {

namespace {

using training::Node;

std::vector<double> values(const Node& node, const std::string& name) {
  return datasetValues(node, name);
}

std::string ballLabel(const Node& node) {
  const bool linf =
      node.has(schema::kPerturbationNorm) &&
      node.text(schema::kPerturbationNorm) == analysis::toString(analysis::PerturbationNorm::Linf);
  const bool adaptive = node.has(schema::kAdaptive) && node.number(schema::kAdaptive) != 0;
  return std::string(adaptive ? "adaptive " : "") + (linf ? "\u2113\u221e" : "\u21132");
}

}  // namespace

std::vector<NamedFigure> sharpnessFigures(const Node& node, const std::string& name) {
  std::vector<NamedFigure> out;
  if (node.groups.count(schema::kWorstCase) || node.groups.count(schema::kRandomDirections)) {
    render::CurvesFigure c;
    c.title = name + ": loss and accuracy under weight perturbations";
    c.xLabel = "radius \u03c1";
    c.leftLabel = "loss increase";
    c.rightLabel = "accuracy";
    if (node.groups.count(schema::kWorstCase)) {
      const Node& w = node.group(schema::kWorstCase);
      auto rho = values(w, schema::kRho);
      c.left.push_back({"worst case (" + ballLabel(node) + ")", rho,
                        values(w, schema::kLossIncrease), false, true});
      c.right.push_back({"accuracy, worst case", rho, values(w, schema::kAccuracy), true, true});
    }
    if (node.groups.count(schema::kRandomDirections)) {
      const Node& r = node.group(schema::kRandomDirections);
      auto rho = values(r, schema::kRho);
      c.left.push_back(
          {"random filter-normalised (mean)", rho, values(r, schema::kLossIncrease), false, true});
      c.right.push_back(
          {"accuracy, random (mean)", rho, values(r, schema::kAccuracyMean), true, true});
    }
    out.push_back({"sharpness-profile", c});
  }
  if (node.groups.count(schema::kGaussian)) {
    const Node& g = node.group(schema::kGaussian);
    render::CurvesFigure c;
    c.title = name + ": average-case sharpness";
    c.xLabel = "\u03c3 of the Gaussian perturbation";
    c.leftLabel = "expected loss increase";
    c.rightLabel = "accuracy";
    auto sigma = values(g, schema::kSigma);
    c.left.push_back(
        {"E[L(w + \u03b4)] \u2212 L(w)", sigma, values(g, schema::kLossIncrease), false, true});
    c.right.push_back({"accuracy", sigma, values(g, schema::kAccuracy), true, true});
    out.push_back({"average-sharpness", c});
  }
  return out;
}

std::vector<NamedFigure> generalizationFigures(const Node& node, const std::string& name) {
  if (!node.groups.count(schema::kMeasures)) return {};
  const Node& measures = node.group(schema::kMeasures);
  std::vector<std::string> names;
  if (auto it = measures.attributes.find(schema::kNames); it != measures.attributes.end())
    if (auto* n = std::get_if<std::vector<std::string>>(&it->second)) names = *n;
  render::BarsFigure tau;
  tau.title = name + ": Kendall \u03c4 of each measure with the generalisation gap";
  tau.yLabel = "Kendall \u03c4";
  tau.categories = names;
  tau.series = {{"accuracy gap (train \u2212 test)", values(node, schema::kKendallTauAccuracyGap)},
                {"loss gap (test \u2212 train)", values(node, schema::kKendallTauLossGap)}};
  render::CurvesFigure scatter;
  scatter.title = name + ": measures against the accuracy gap";
  scatter.xLabel = "measure, scaled to [0, 1] over the models";
  scatter.leftLabel = "accuracy gap (train \u2212 test)";
  const auto gap = values(node, schema::kGapAccuracy);
  for (const auto& measure : names) {
    auto v = values(measures, measure);
    double lo = INFINITY, hi = -INFINITY;
    for (double x : v)
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
    for (double& x : v) x = hi > lo ? (x - lo) / (hi - lo) : 0.5;
    render::Series s{measure, v, gap, false, true};
    s.line = false;
    scatter.left.push_back(s);
  }
  return {{"kendall-tau", tau}, {"gap-scatter", scatter}};
}

std::vector<NamedFigure> sharpnessComparison(const std::vector<Node>& nodes,
                                             const std::vector<std::string>& names) {
  render::CurvesFigure c;
  c.title = "sharpness profiles";
  c.xLabel = "radius \u03c1";
  c.leftLabel = "loss increase";
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].groups.count(schema::kWorstCase)) {
      const Node& w = nodes[i].group(schema::kWorstCase);
      c.left.push_back({names[i] + ": worst case", values(w, schema::kRho),
                        values(w, schema::kLossIncrease), false, true});
    }
    if (nodes[i].groups.count(schema::kRandomDirections)) {
      const Node& r = nodes[i].group(schema::kRandomDirections);
      c.left.push_back({names[i] + ": random", values(r, schema::kRho),
                        values(r, schema::kLossIncrease), true, true});
    }
  }
  if (c.left.empty()) return {};
  return {{"sharpness-comparison", c}};
}

}  // namespace flatland::app
