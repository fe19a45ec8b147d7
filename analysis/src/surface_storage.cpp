#include "surface_storage.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> readValues(const training::ProjectFile& project, const std::string& path) {
  return project.exists(path) ? project.readDataset(path).asDoubles() : std::vector<double>{};
}

}  // namespace

double lossMinOf(const SurfaceState& st) {
  const auto& losses = st.trainLoss.empty() ? st.testLoss : st.trainLoss;
  double best = kNaN;
  for (size_t i = 0; i < losses.size(); ++i)
    if (st.done[i] && (std::isnan(best) || losses[i] < best)) best = losses[i];
  return best;
}

void commitState(const training::ProjectFile& project, const SurfaceState& st, bool complete) {
  const auto shape = st.grid.shape();
  training::ProjectFile::Transaction tx;
  auto put = [&](const char* name, const std::vector<double>& values) {
    if (!values.empty()) tx.putDataset(st.analysisPath + "/" + name, training::Array::f64(values, shape));
  };
  put("train_loss", st.trainLoss);
  put("train_accuracy", st.trainAccuracy);
  put("test_loss", st.testLoss);
  put("test_accuracy", st.testAccuracy);
  tx.putDataset(st.analysisPath + "/done", training::Array::i64(st.done, shape));
  const int64_t pointsDone = std::count(st.done.begin(), st.done.end(), int64_t{1});
  training::Attributes attributes = {{"complete", int64_t(complete ? 1 : 0)},
                                     {"points_done", pointsDone},
                                     {"updated", training::isoTimestampUtc()}};
  const double lossMin = lossMinOf(st);
  if (!std::isnan(lossMin)) attributes["loss_min"] = lossMin;
  tx.setAttributes(st.analysisPath, attributes);
  project.commit(tx);
}

SurfaceResult resultOf(const SurfaceState& st, bool complete) {
  SurfaceResult r = st;
  r.complete = complete;
  r.lossMin = lossMinOf(st);
  return r;
}

void writeNewSurface(const training::ProjectFile& project, const SurfaceState& st, const training::Model& origin,
                     const DirectionSet& used, const training::Dataset* train, const training::Dataset* test,
                     const SurfaceSettings& settings) {
  const auto& grid = st.grid;
  Provenance provenance;
  provenance.kind = "surface";
  provenance.model = settings.modelSpec.empty() ? origin.source() : settings.modelSpec;
  provenance.data = settings.dataSpec.empty() ? (train ? train->spec : "") : settings.dataSpec;
  provenance.samples = settings.samples;
  provenance.seed = settings.seed;
  provenance.device = settings.device;
  provenance.settingsJson = settings.settingsJson;
  training::Node node;
  node.attributes = provenance.toAttributes();
  node.attributes["complete"] = int64_t(0);
  node.attributes["points_done"] = int64_t(0);
  node.attributes["dirs"] = used.kind;
  node.attributes["norm"] = used.norm;
  node.attributes["grid"] = grid.text();
  node.attributes["origin"] = provenance.model;
  node.attributes["directions_source"] = used.source;
  node.attributes["test_data"] =
      settings.testDataSpec.empty() ? (test ? test->spec : "") : settings.testDataSpec;
  node.attributes["loss_at_origin"] = st.lossAtOrigin;
  node.attributes["parameter_count"] = origin.parameterCount();
  static const char* coordinateNames[] = {"xcoordinates", "ycoordinates", "zcoordinates"};
  for (size_t a = 0; a < grid.axes.size(); ++a) {
    auto coords = grid.axes[a].coordinates();
    node.datasets[coordinateNames[a]] = training::Array::f64(coords, {int64_t(coords.size())});
  }
  addDirectionsTo(node, used);
  const auto shape = grid.shape();
  node.datasets["done"] = training::Array::i64(st.done, shape);
  auto putValues = [&](const char* name, const std::vector<double>& values) {
    if (!values.empty()) node.datasets[name] = training::Array::f64(values, shape);
  };
  putValues("train_loss", st.trainLoss);
  putValues("train_accuracy", st.trainAccuracy);
  putValues("test_loss", st.testLoss);
  putValues("test_accuracy", st.testAccuracy);
  project.put(st.analysisPath, node);
}

SurfaceState loadStoredState(const training::ProjectFile& project, const std::string& analysisPath,
                             training::Model& origin, const training::Dataset*& train,
                             const training::Dataset*& test, DirectionSet& directions) {
  SurfaceState st = readSurface(project, analysisPath);
  if (!st.trainLoss.empty() && !train)
    throw InvalidArgument(analysisPath + " has train values: resume it with its train data");
  if (!st.testLoss.empty() && !test)
    throw InvalidArgument(analysisPath + " has test values: resume it with its test data");
  if (st.trainLoss.empty()) train = nullptr;
  if (st.testLoss.empty()) test = nullptr;
  directions = readDirections(project, analysisPath, origin);
  if (int64_t(directions.directions.size()) < st.grid.dimensions())
    throw ProjectError(analysisPath + " stores fewer directions than its grid has axes");
  return st;
}

SurfaceResult readSurface(const training::ProjectFile& project, const std::string& analysisPath) {
  if (!project.exists(analysisPath))
    throw ProjectError(project.path() + " has no analysis " + analysisPath);
  auto node = project.read(analysisPath, false);
  if (!node.has("kind") || node.text("kind") != "surface")
    throw ProjectError(analysisPath + " is not a surface analysis");
  SurfaceResult r;
  r.analysisPath = analysisPath;
  r.grid = GridSpec::parse(node.text("grid"));
  r.trainLoss = readValues(project, analysisPath + "/train_loss");
  r.trainAccuracy = readValues(project, analysisPath + "/train_accuracy");
  r.testLoss = readValues(project, analysisPath + "/test_loss");
  r.testAccuracy = readValues(project, analysisPath + "/test_accuracy");
  for (double d : readValues(project, analysisPath + "/done")) r.done.push_back(int64_t(d));
  const size_t n = size_t(r.grid.points());
  if (r.done.size() != n)
    throw ProjectError(analysisPath + "/done does not match the grid " + node.text("grid"));
  for (auto* v : {&r.trainLoss, &r.trainAccuracy, &r.testLoss, &r.testAccuracy})
    if (!v->empty() && v->size() != n)
      throw ProjectError(analysisPath + ": a value array does not match the grid");
  r.complete = node.has("complete") && node.number("complete") != 0;
  r.lossAtOrigin = node.has("loss_at_origin") ? node.number("loss_at_origin") : kNaN;
  r.lossMin = node.has("loss_min") ? node.number("loss_min") : kNaN;
  return r;
}

}  // namespace flatland::analysis
