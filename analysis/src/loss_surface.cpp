#include "flatland/analysis/loss_surface.h"

#include <torch/types.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "flatland/analysis/provenance.h"
#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "surface_storage.h"

namespace flatland::analysis {

// ---------------------------------------------------------------- scheduling

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

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
  // After an error: the origin back in the model, and every finished point kept (a resumed job
  // starts after them); a failure while saving must not hide the error that got here.
  auto keepFinishedPoints = [&] {
    evaluator.restoreOrigin();
    try {
      if (!root) {
        sendOutgoing(true);  // what this rank finished still reaches the root
      } else {
        mergeArrived();
        if (sinceCommit > 0) commitState(*project, st, false);
      }
    } catch (const std::exception&) {
    }
  };

  // Several points per pass only where the model stacks weight sets.
  const int64_t pointsPerPass =
      evaluator.stacksPoints() ? std::max<int64_t>(1, settings.pointsPerPass) : 1;
  auto preparedTrain = train ? evaluator.prepare(*train) : training::Dataset{};
  auto preparedTest = test ? evaluator.prepare(*test) : training::Dataset{};
  try {
    for (size_t first = 0; first < remaining.size(); first += size_t(blockSize)) {
      if (!dealtTo(group, int64_t(first) / blockSize)) continue;
      const size_t last = std::min(remaining.size(), first + size_t(blockSize));
      for (size_t i = first; i < last; i += size_t(pointsPerPass)) {
        control.throwIfCancelled();
        const size_t end = std::min(last, i + size_t(pointsPerPass));
        std::vector<std::array<double, 3>> coordinates;
        for (size_t j = i; j < end; ++j) coordinates.push_back(st.grid.point(remaining[j]));
        std::vector<PointValues> trainValues, testValues;
        auto cancelCheck = [&] { control.throwIfCancelled(); };
        if (train) trainValues = evaluator.evaluateAt(coordinates, preparedTrain, cancelCheck);
        if (test) testValues = evaluator.evaluateAt(coordinates, preparedTest, cancelCheck);
        PointRecord p;
        for (size_t j = i; j < end; ++j) {
          p.flat = remaining[j];
          if (train) p.train = trainValues[j - i];
          if (test) p.test = testValues[j - i];
          store(p);
          ++computed;
          if (!root)
            outgoing.insert(outgoing.end(), {double(p.flat), p.train.loss, p.train.accuracy,
                                             p.test.loss, p.test.accuracy});
        }
        mergeArrived();
        if (root) commitIfDue();

        const auto& c = coordinates.back();
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
    keepFinishedPoints();
    throw;
  } catch (const c10::Error& e) {
    // LibTorch's own errors (CUDA out of memory, a kernel that refuses an input) end the job
    // too, but the points computed since the last save are kept first.
    keepFinishedPoints();
    throw Error(
        "evaluating the surface failed in LibTorch: " + std::string(e.what_without_backtrace()) +
        (root ? "; the " + std::to_string(doneCount) +
                    " finished points are saved: run the same command again to resume (with "
                    "a smaller --batch-size or --points-per-pass after running out of memory)"
              : ""));
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
  st.analysisPath = newAnalysisPath(project, schema::kKindSurface, settings.name);
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

  writeNewSurface(project, st, origin, used, train, test, settings);
  announce(group, st);
  return fillGrid(&project, st, evaluator, train, test, settings, control, group);
}

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

}  // namespace flatland::analysis
