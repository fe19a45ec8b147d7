#include "connectivity_figures.h"

#include <cstdio>

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
              const char* quantity, bool dashed) {
  const auto t = datasetValues(node, schema::kPathT);
  const bool curved = curveTypeOf(node) != "linear";
  for (const std::string path : {schema::kLinearPath, schema::kCurvePath}) {
    const bool isCurve = path == schema::kCurvePath;
    if (!node.groups.count(path) || (isCurve && !curved)) continue;
    auto ys = datasetValues(node.group(path), quantity);
    if (ys.empty()) continue;
    const std::string label = prefix + (isCurve ? curveTypeOf(node) : std::string("linear"));
    out.push_back({label, t, ys, dashed, isCurve});
  }
}

}  // namespace

std::vector<NamedFigure> connectivityFigures(const Node& node, const std::string& name) {
  std::vector<NamedFigure> out;
  render::CurvesFigure loss;
  loss.title = name + ": loss along the paths (" + barrierText(node) + ")";
  loss.xLabel = "t (0: first model, 1: second)";
  loss.leftLabel = "loss (solid: train, dashed: test)";
  addPaths(loss.left, node, "train, ", schema::kTrainLoss, false);
  addPaths(loss.left, node, "test, ", schema::kTestLoss, true);
  if (!loss.left.empty()) out.push_back({"path-loss", loss});
  render::CurvesFigure accuracy;
  accuracy.title = name + ": accuracy along the paths";
  accuracy.xLabel = loss.xLabel;
  accuracy.leftLabel = "accuracy (solid: train, dashed: test)";
  addPaths(accuracy.left, node, "train, ", schema::kTrainAccuracy, false);
  addPaths(accuracy.left, node, "test, ", schema::kTestAccuracy, true);
  if (!accuracy.left.empty()) out.push_back({"path-accuracy", accuracy});
  return out;
}

std::vector<NamedFigure> connectivityComparison(const std::vector<Node>& nodes,
                                                const std::vector<std::string>& names) {
  render::CurvesFigure c;
  c.title = "train loss along linear (dashed) and curved (solid) paths";
  c.xLabel = "t (0: first model, 1: second)";
  c.leftLabel = "train loss";
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::vector<render::Series> series;
    addPaths(series, nodes[i], names[i] + ": ", schema::kTrainLoss, false);
    for (auto& s : series) {
      s.dashed = s.label.size() >= 6 && s.label.compare(s.label.size() - 6, 6, "linear") == 0;
      c.left.push_back(std::move(s));
    }
  }
  return {{"path-comparison", c}};
}

}  // namespace flatland::app
