#include "surface_storage.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

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
    if (!values.empty())
      tx.putDataset(st.analysisPath + "/" + name, training::Array::f64(values, shape));
  };
  put(schema::kTrainLoss, st.trainLoss);
  put(schema::kTrainAccuracy, st.trainAccuracy);
  put(schema::kTestLoss, st.testLoss);
  put(schema::kTestAccuracy, st.testAccuracy);
  tx.putDataset(st.analysisPath + "/" + schema::kDone, training::Array::i64(st.done, shape));
  const int64_t pointsDone = std::count(st.done.begin(), st.done.end(), int64_t{1});
  training::Attributes attributes = {{schema::kComplete, int64_t(complete ? 1 : 0)},
                                     {schema::kPointsDone, pointsDone},
                                     {schema::kUpdated, training::isoTimestampUtc()}};
  const double lossMin = lossMinOf(st);
  if (!std::isnan(lossMin)) attributes[schema::kLossMin] = lossMin;
  tx.setAttributes(st.analysisPath, attributes);
  project.commit(tx);
}

SurfaceResult resultOf(const SurfaceState& st, bool complete) {
  SurfaceResult r = st;
  r.complete = complete;
  r.lossMin = lossMinOf(st);
  return r;
}

void writeNewSurface(const training::ProjectFile& project, const SurfaceState& st,
                     const training::Model& origin, const DirectionSet& used,
                     const training::Dataset* train, const training::Dataset* test,
                     const SurfaceSettings& settings) {
  const auto& grid = st.grid;
  Provenance provenance;
  provenance.kind = schema::kKindSurface;
  provenance.model = settings.modelSpec.empty() ? origin.source() : settings.modelSpec;
  provenance.data = settings.dataSpec.empty() ? (train ? train->spec : "") : settings.dataSpec;
  provenance.samples = settings.samples;
  provenance.seed = settings.seed;
  provenance.device = settings.device;
  provenance.settingsJson = settings.settingsJson;
  training::Node node;
  node.attributes = provenance.toAttributes();
  node.attributes[schema::kComplete] = int64_t(0);
  node.attributes[schema::kPointsDone] = int64_t(0);
  node.attributes[schema::kDirs] = toString(used.kind);
  node.attributes[schema::kNorm] = toString(used.norm);
  node.attributes[schema::kGrid] = grid.text();
  node.attributes[schema::kOrigin] = provenance.model;
  node.attributes[schema::kDirectionsSource] = used.source;
  node.attributes[schema::kTestData] =
      settings.testDataSpec.empty() ? (test ? test->spec : "") : settings.testDataSpec;
  node.attributes[schema::kLossAtOrigin] = st.lossAtOrigin;
  node.attributes[schema::kParameterCount] = origin.parameterCount();
  for (size_t a = 0; a < grid.axes.size(); ++a) {
    auto coords = grid.axes[a].coordinates();
    node.datasets[schema::kAxisCoordinates[a]] =
        training::Array::f64(coords, {int64_t(coords.size())});
  }
  addDirectionsTo(node, used);
  const auto shape = grid.shape();
  node.datasets[schema::kDone] = training::Array::i64(st.done, shape);
  auto putValues = [&](const char* name, const std::vector<double>& values) {
    if (!values.empty()) node.datasets[name] = training::Array::f64(values, shape);
  };
  putValues(schema::kTrainLoss, st.trainLoss);
  putValues(schema::kTrainAccuracy, st.trainAccuracy);
  putValues(schema::kTestLoss, st.testLoss);
  putValues(schema::kTestAccuracy, st.testAccuracy);
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
  if (!node.has(schema::kKind) || node.text(schema::kKind) != schema::kKindSurface)
    throw ProjectError(analysisPath + " is not a surface analysis");
  SurfaceResult r;
  r.analysisPath = analysisPath;
  r.grid = GridSpec::parse(node.text(schema::kGrid));
  const auto stored = [&](const char* name) {
    return readValues(project, analysisPath + "/" + name);
  };
  r.trainLoss = stored(schema::kTrainLoss);
  r.trainAccuracy = stored(schema::kTrainAccuracy);
  r.testLoss = stored(schema::kTestLoss);
  r.testAccuracy = stored(schema::kTestAccuracy);
  for (double d : stored(schema::kDone)) r.done.push_back(int64_t(d));
  const size_t n = size_t(r.grid.points());
  if (r.done.size() != n)
    throw ProjectError(analysisPath + "/" + schema::kDone + " does not match the grid " +
                       node.text(schema::kGrid));
  for (auto* v : {&r.trainLoss, &r.trainAccuracy, &r.testLoss, &r.testAccuracy})
    if (!v->empty() && v->size() != n)
      throw ProjectError(analysisPath + ": a value array does not match the grid");
  r.complete = node.has(schema::kComplete) && node.number(schema::kComplete) != 0;
  r.lossAtOrigin = node.has(schema::kLossAtOrigin) ? node.number(schema::kLossAtOrigin) : kNaN;
  r.lossMin = node.has(schema::kLossMin) ? node.number(schema::kLossMin) : kNaN;
  return r;
}

}  // namespace flatland::analysis
