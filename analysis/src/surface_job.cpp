#include "flatland/analysis/surface_job.h"

#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"

namespace flatland::analysis {

namespace F = torch::nn::functional;

// ---------------------------------------------------------------- SurfaceEvaluator

struct SurfaceEvaluator::State {
  training::Model* model = nullptr;
  int64_t batchSize = 2000;
  bool wasTraining = false;
  std::vector<at::Tensor> params;             // the model's live parameter tensors
  std::vector<at::Tensor> originParams;       // θ, same device and dtype
  std::vector<std::vector<at::Tensor>> dirs;  // dirs[k][i]: direction k of parameter i
  std::vector<at::Tensor> buffers;            // live buffers that some direction moves
  std::vector<at::Tensor> originBuffers;
  std::vector<std::vector<at::Tensor>> bufferDirs;  // bufferDirs[k][j]; undefined: not moved
};

SurfaceEvaluator::SurfaceEvaluator(training::Model& origin, const DirectionSet& directions,
                                   int64_t batchSize)
    : m_state(std::make_unique<State>()) {
  if (batchSize <= 0) throw InvalidArgument("the batch size must be positive");
  if (directions.directions.empty() || directions.directions.size() > 3)
    throw InvalidArgument("a surface needs 1 to 3 directions");
  torch::NoGradGuard noGrad;
  auto& s = *m_state;
  s.model = &origin;
  s.batchSize = batchSize;
  s.wasTraining = origin.isTraining();
  const auto device = origin.device();
  const auto dtype = origin.dtype();
  for (auto& p : origin.namedParameters()) {
    s.params.push_back(p.tensor);
    s.originParams.push_back(p.tensor.detach().clone());
  }
  // The buffers any direction moves (interpolation over BatchNorm statistics).
  std::map<std::string, size_t> bufferIndex;
  for (auto& b : origin.namedBuffers()) {
    bool moved = false;
    for (auto& d : directions.directions)
      for (auto& db : d.buffers) moved = moved || db.name == b.name;
    if (!moved) continue;
    bufferIndex[b.name] = s.buffers.size();
    s.buffers.push_back(b.tensor);
    s.originBuffers.push_back(b.tensor.detach().clone());
  }
  for (auto& d : directions.directions) {
    if (d.parameters.numel() != origin.parameterCount())
      throw InvalidArgument("a direction has " + std::to_string(d.parameters.numel()) +
                            " entries but " + origin.source() + " has " +
                            std::to_string(origin.parameterCount()) + " parameters");
    auto flat = d.parameters.to(device, dtype).contiguous();
    s.dirs.push_back(origin.unflatten(flat));
    std::vector<at::Tensor> moves(s.buffers.size());
    for (auto& db : d.buffers) {
      auto it = bufferIndex.find(db.name);
      auto& live = s.buffers[it->second];
      if (db.tensor.sizes() != live.sizes())
        throw InvalidArgument("the direction of buffer '" + db.name + "' has the wrong shape");
      moves[it->second] = db.tensor.to(live.device(), live.scalar_type()).contiguous();
    }
    s.bufferDirs.push_back(std::move(moves));
  }
  origin.setTraining(false);
}

SurfaceEvaluator::~SurfaceEvaluator() {
  try {
    restoreOrigin();
    m_state->model->setTraining(m_state->wasTraining);
  } catch (...) {
  }
}

void SurfaceEvaluator::moveTo(const std::array<double, 3>& c) {
  torch::NoGradGuard noGrad;
  auto& s = *m_state;
  for (size_t i = 0; i < s.params.size(); ++i) {
    auto& p = s.params[i];
    p.copy_(s.originParams[i]);
    for (size_t k = 0; k < s.dirs.size(); ++k)
      if (c[k] != 0.0) p.add_(s.dirs[k][i], c[k]);
  }
  for (size_t j = 0; j < s.buffers.size(); ++j) {
    auto& b = s.buffers[j];
    b.copy_(s.originBuffers[j]);
    for (size_t k = 0; k < s.bufferDirs.size(); ++k)
      if (c[k] != 0.0 && s.bufferDirs[k][j].defined()) b.add_(s.bufferDirs[k][j], c[k]);
  }
}

void SurfaceEvaluator::restoreOrigin() { moveTo({0.0, 0.0, 0.0}); }

training::Dataset SurfaceEvaluator::prepare(const training::Dataset& data) const {
  training::Dataset out = data;
  out.inputs = data.inputs.to(m_state->model->device(), m_state->model->dtype()).contiguous();
  out.labels = data.labels.to(m_state->model->device()).contiguous();
  return out;
}

PointValues SurfaceEvaluator::evaluate(const training::Dataset& data) const {
  auto& s = *m_state;
  c10::InferenceMode inference;
  const int64_t n = data.size();
  if (n == 0) throw InvalidArgument("cannot evaluate a surface on an empty data set");
  double lossSum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += s.batchSize) {
    const int64_t end = std::min(n, start + s.batchSize);
    auto x = data.inputs.slice(0, start, end);
    auto y = data.labels.slice(0, start, end);
    auto logits = s.model->forward(x);
    lossSum += F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                   .item<double>();
    correct += (logits.argmax(1) == y).sum().item<int64_t>();
  }
  return {lossSum / double(n), double(correct) / double(n)};
}

// ---------------------------------------------------------------- the job

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// The in-memory copy of a surface while it is being filled has the fields of a result.
using SurfaceState = SurfaceResult;

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

// A point as it travels from a worker to the root: its flat index and the four values (NaN for a
// data set not evaluated). A message is a "finished" flag followed by such points.
constexpr size_t kValuesPerPoint = 5;

struct PointRecord {
  int64_t flat = 0;
  PointValues train{kNaN, kNaN}, test{kNaN, kNaN};
};

// Evaluates every point not yet done, committing block by block. With a group of several ranks
// the remaining points are cut into blocks dealt round-robin; the root merges what the other
// ranks send between its own points and commits, the others only send.
SurfaceResult fillGrid(const training::ProjectFile* project, SurfaceState& st,
                       SurfaceEvaluator& evaluator, const training::Dataset* train,
                       const training::Dataset* test, const SurfaceSettings& settings,
                       const JobControl& control, WorkerGroup* group) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto lastCommit = start;
  const bool shared = group && !group->alone();
  const bool root = !group || group->isRoot();
  const int64_t ranks = shared ? group->size() : 1;
  const int64_t total = st.grid.points();
  std::vector<int64_t> remaining;
  for (int64_t flat = 0; flat < total; ++flat)
    if (!st.done[size_t(flat)]) remaining.push_back(flat);
  // Several blocks per rank keep the ranks busy to the end; small ones reach the root early.
  const int64_t blockSize =
      shared ? std::clamp<int64_t>(int64_t(remaining.size()) / (8 * ranks), 1, 64)
             : std::max<int64_t>(1, int64_t(remaining.size()));
  int64_t ownShare = 0;
  for (size_t i = 0; i < remaining.size(); ++i)
    if (dealtTo(group, int64_t(i) / blockSize)) ++ownShare;

  const int64_t doneBefore = total - int64_t(remaining.size());
  int64_t doneCount = doneBefore;
  int64_t computed = 0;
  int64_t sinceCommit = 0;
  int64_t workersFinished = 0;
  std::vector<double> outgoing{0.0};  // a worker's unsent points, after the "finished" flag

  auto store = [&](const PointRecord& p) {
    const auto i = size_t(p.flat);
    if (st.done[i]) return;
    if (train) st.trainLoss[i] = p.train.loss, st.trainAccuracy[i] = p.train.accuracy;
    if (test) st.testLoss[i] = p.test.loss, st.testAccuracy[i] = p.test.accuracy;
    st.done[i] = 1;
    ++doneCount;
    ++sinceCommit;
  };
  auto merge = [&](const WorkerGroup::Message& m) {
    if (m.values.empty()) throw Error("a surface worker sent an empty message");
    if (m.values[0] != 0.0) ++workersFinished;
    for (size_t k = 1; k + kValuesPerPoint <= m.values.size(); k += kValuesPerPoint) {
      const double* v = &m.values[k];
      const auto flat = int64_t(v[0]);
      if (flat < 0 || flat >= total) throw Error("a surface worker sent a point off the grid");
      store({flat, {v[1], v[2]}, {v[3], v[4]}});
    }
  };
  auto mergeArrived = [&] {
    if (!shared || !root) return;
    while (auto m = group->receive(kSurfacePointsTag, false)) merge(*m);
  };
  auto sendOutgoing = [&](bool finished) {
    outgoing[0] = finished ? 1.0 : 0.0;
    group->sendToRoot(kSurfacePointsTag, outgoing);
    outgoing.resize(1);
  };
  auto commitIfDue = [&] {
    const bool due = settings.blockPoints > 0
                         ? sinceCommit >= settings.blockPoints
                         : std::chrono::duration<double>(Clock::now() - lastCommit).count() >=
                               settings.commitSeconds;
    if (due && sinceCommit > 0 && doneCount < total) {
      commitState(*project, st, false);
      sinceCommit = 0;
      lastCommit = Clock::now();
    }
  };

  auto preparedTrain = train ? evaluator.prepare(*train) : training::Dataset{};
  auto preparedTest = test ? evaluator.prepare(*test) : training::Dataset{};
  try {
    for (size_t first = 0; first < remaining.size(); first += size_t(blockSize)) {
      if (!dealtTo(group, int64_t(first) / blockSize)) continue;
      const size_t last = std::min(remaining.size(), first + size_t(blockSize));
      for (size_t i = first; i < last; ++i) {
        control.throwIfCancelled();
        PointRecord p;
        p.flat = remaining[i];
        const auto c = st.grid.point(p.flat);
        evaluator.moveTo(c);
        if (train) p.train = evaluator.evaluate(preparedTrain);
        if (test) p.test = evaluator.evaluate(preparedTest);
        store(p);
        ++computed;
        if (!root)
          outgoing.insert(outgoing.end(), {double(p.flat), p.train.loss, p.train.accuracy,
                                           p.test.loss, p.test.accuracy});
        mergeArrived();
        if (root) commitIfDue();

        ProgressEvent event;
        event.fraction = root ? double(doneCount) / double(total)
                              : double(computed) / double(std::max<int64_t>(1, ownShare));
        event.stage = "grid";
        char message[160];
        std::snprintf(message, sizeof message, "point %lld/%lld at (%.4g, %.4g, %.4g)",
                      static_cast<long long>(root ? doneCount : computed),
                      static_cast<long long>(root ? total : ownShare), c[0], c[1], c[2]);
        event.message = message;
        event.loss = train ? p.train.loss : p.test.loss;
        control.report(event);
      }
      if (!root) sendOutgoing(false);
    }
    if (!root) {
      sendOutgoing(true);
    } else {
      // The root's own blocks are done: wait for the other ranks' last points.
      while (shared && workersFinished < ranks - 1) {
        control.throwIfCancelled();
        merge(*group->receive(kSurfacePointsTag, true));
        commitIfDue();
        ProgressEvent event;
        event.fraction = double(doneCount) / double(total);
        event.stage = "grid";
        event.message = "waiting for the other ranks";
        control.report(event);
      }
    }
  } catch (const Error&) {
    evaluator.restoreOrigin();
    try {
      if (!root) {
        sendOutgoing(true);  // what this rank finished still reaches the root
      } else {
        // Keep every finished point: a resumed job starts after them.
        mergeArrived();
        if (sinceCommit > 0) commitState(*project, st, false);
      }
    } catch (const Error&) {
    }
    throw;
  }
  evaluator.restoreOrigin();
  const bool complete = doneCount == total;
  if (root) commitState(*project, st, complete);
  auto result = resultOf(st, complete);
  // The root counts every rank's points: the job's throughput is what a user compares.
  result.pointsComputed = root ? doneCount - doneBefore : computed;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

// The root tells the other ranks which analysis to fill and which of its points are done (the
// mask it holds in memory, so every rank deals the same blocks).
void announce(WorkerGroup* group, const SurfaceState& st) {
  if (!group || group->alone()) return;
  group->broadcast(st.analysisPath);
  std::string mask(st.done.size(), '0');
  for (size_t i = 0; i < mask.size(); ++i)
    if (st.done[i]) mask[i] = '1';
  group->broadcast(mask);
}

std::vector<double> readValues(const training::ProjectFile& project, const std::string& path) {
  return project.exists(path) ? project.readDataset(path).asDoubles() : std::vector<double>{};
}

}  // namespace

SurfaceResult computeSurface(const training::ProjectFile& project, training::Model& origin,
                             const DirectionSet& directions, const training::Dataset* train,
                             const training::Dataset* test, const SurfaceSettings& settings,
                             const JobControl& control, WorkerGroup* group) {
  if (group && !group->isRoot())
    throw InvalidArgument("computeSurface runs on the root rank; the others call joinSurface");
  const auto& grid = settings.grid;
  if (grid.axes.empty()) throw InvalidArgument("the surface grid has no axes");
  if (int64_t(directions.directions.size()) < grid.dimensions())
    throw InvalidArgument("a " + std::to_string(grid.dimensions()) + "-D grid needs " +
                          std::to_string(grid.dimensions()) + " directions, got " +
                          std::to_string(directions.directions.size()));
  if (!train && !test) throw InvalidArgument("a surface needs train data, test data or both");
  DirectionSet used = directions;
  used.directions.resize(size_t(grid.dimensions()));

  SurfaceEvaluator evaluator(origin, used, settings.batchSize);
  SurfaceState st;
  st.analysisPath = newAnalysisPath(project, "surface", settings.name);
  st.grid = grid;
  const size_t n = size_t(grid.points());
  st.done.assign(n, 0);
  if (train) st.trainLoss.assign(n, kNaN), st.trainAccuracy.assign(n, kNaN);
  if (test) st.testLoss.assign(n, kNaN), st.testAccuracy.assign(n, kNaN);
  {
    evaluator.restoreOrigin();
    auto prepared = evaluator.prepare(train ? *train : *test);
    st.lossAtOrigin = evaluator.evaluate(prepared).loss;
  }

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
  announce(group, st);
  return fillGrid(&project, st, evaluator, train, test, settings, control, group);
}

namespace {

// A stored surface, ready to be filled further: values, done mask and directions.
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

}  // namespace

SurfaceResult resumeSurface(const training::ProjectFile& project, const std::string& analysisPath,
                            training::Model& origin, const training::Dataset* train,
                            const training::Dataset* test, const SurfaceSettings& settings,
                            const JobControl& control, WorkerGroup* group) {
  if (group && !group->isRoot())
    throw InvalidArgument("resumeSurface runs on the root rank; the others call joinSurface");
  DirectionSet directions;
  auto st = loadStoredState(project, analysisPath, origin, train, test, directions);
  SurfaceEvaluator evaluator(origin, directions, settings.batchSize);
  announce(group, st);
  return fillGrid(&project, st, evaluator, train, test, settings, control, group);
}

SurfaceResult joinSurface(const std::string& projectPath, training::Model& origin,
                          const training::Dataset* train, const training::Dataset* test,
                          const SurfaceSettings& settings, WorkerGroup& group,
                          const JobControl& control) {
  if (group.isRoot()) throw InvalidArgument("joinSurface is for the ranks other than the root");
  const std::string analysisPath = group.broadcast("");
  const std::string mask = group.broadcast("");
  // The root has written the analysis before announcing it.
  const auto project = training::ProjectFile::open(projectPath);
  DirectionSet directions;
  auto st = loadStoredState(project, analysisPath, origin, train, test, directions);
  if (mask.size() != st.done.size())
    throw Error("the root's done mask does not match " + analysisPath + "'s grid");
  for (size_t i = 0; i < mask.size(); ++i) st.done[i] = mask[i] == '1' ? 1 : 0;
  SurfaceEvaluator evaluator(origin, directions, settings.batchSize);
  return fillGrid(nullptr, st, evaluator, train, test, settings, control, &group);
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
