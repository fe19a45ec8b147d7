#include "connectivity_figures.h"

#include <cstdio>

#include "flatland/analysis/curve_choices.h"
#include "flatland/training/project_schema.h"

namespace flatland::app {

namespace {

using training::Node;

std::string curveTypeOf(const Node& node) {
  return node.has(schema::kCurveType) ? node.text(schema::kCurveType) : "curve";
}

double barrierOf(const Node& node, const char* path) {
  if (!node.groups.count(path)) return 0.0;
  const Node& p = node.group(path);
  return p.has(schema::kBarrier) ? p.number(schema::kBarrier) : 0.0;
}

std::string barrierText(const Node& node) {
  char text[160];
  std::snprintf(text, sizeof text, "barrier: linear %.4g, %s %.4g",
                barrierOf(node, schema::kLinearPath), curveTypeOf(node).c_str(),
                barrierOf(node, schema::kCurvePath));
  return text;
}

// The series of one quantity along the paths the node holds (the curve only when trained).
void addPaths(std::vector<render::Series>& out, const Node& node, const std::string& prefix,
              const char* quantity, bool dashedLine, bool dashedCurve) {
  const auto t = datasetValues(node, schema::kPathT);
  const bool curved = curveTypeOf(node) != analysis::toString(analysis::CurveType::Linear);
  for (const std::string path : {schema::kLinearPath, schema::kCurvePath}) {
    const bool isCurve = path == schema::kCurvePath;
    if (!node.groups.count(path) || (isCurve && !curved)) continue;
    auto ys = datasetValues(node.group(path), quantity);
    if (ys.empty()) continue;
    const std::string label = prefix + (isCurve ? curveTypeOf(node) : std::string("linear"));
    out.push_back({label, t, ys, isCurve ? dashedCurve : dashedLine, isCurve});
  }
}

}  // namespace

std::vector<NamedFigure> connectivityFigures(const Node& node, const std::string& name) {
  std::vector<NamedFigure> out;
  render::CurvesFigure loss;
  loss.title = name + ": loss along the paths (" + barrierText(node) + ")";
  loss.xLabel = "t (0: first model, 1: second)";
  loss.leftLabel = "loss (solid: train, dashed: test)";
  addPaths(loss.left, node, "train, ", schema::kTrainLoss, false, false);
  addPaths(loss.left, node, "test, ", schema::kTestLoss, true, true);
  if (!loss.left.empty()) out.push_back({"path-loss", loss});
  render::CurvesFigure accuracy;
  accuracy.title = name + ": accuracy along the paths";
  accuracy.xLabel = loss.xLabel;
  accuracy.leftLabel = "accuracy (solid: train, dashed: test)";
  addPaths(accuracy.left, node, "train, ", schema::kTrainAccuracy, false, false);
  addPaths(accuracy.left, node, "test, ", schema::kTestAccuracy, true, true);
  if (!accuracy.left.empty()) out.push_back({"path-accuracy", accuracy});
  return out;
}

std::vector<NamedFigure> connectivityComparison(const std::vector<Node>& nodes,
                                                const std::vector<std::string>& names) {
  render::CurvesFigure c;
  c.title = "train loss along the paths";  // the legend names linear (dashed) and curves
  c.xLabel = "t (0: first model, 1: second)";
  c.leftLabel = "train loss";
  for (size_t i = 0; i < nodes.size(); ++i)
    addPaths(c.left, nodes[i], names[i] + ": ", schema::kTrainLoss, true, false);
  return {{"path-comparison", c}};
}

}  // namespace flatland::app
