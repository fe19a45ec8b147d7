// The processes that share one job: the ranks of an `mpirun -np N` launch, or this process alone.
// Grid points and SLQ start vectors are independent, so jobs split them across ranks; rank 0
// (the root) collects the results and is the only one that writes the project file. Messages
// are arrays of doubles, sent without waiting, so no rank blocks on a reduction per point.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace flatland::analysis {

class WorkerGroup {
 public:
  struct Message {
    int from = 0;
    std::vector<double> values;
  };

  WorkerGroup() = default;
  virtual ~WorkerGroup() = default;
  WorkerGroup(const WorkerGroup&) = delete;
  WorkerGroup& operator=(const WorkerGroup&) = delete;

  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  bool isRoot() const { return rank() == 0; }
  bool alone() const { return size() == 1; }

  // Collective: every rank gets the root's text.
  virtual std::string broadcast(const std::string& text) { return text; }
  // A worker's values for the root. Returns at once; the data is copied.
  virtual void sendToRoot(int tag, const std::vector<double>& values);
  // Root: the next message with this tag (from `from`, or any worker when −1); nullopt when
  // none has arrived and `wait` is false.
  virtual std::optional<Message> receive(int tag, bool wait, int from = -1);
  // Ends every rank's process with this exit code (a failed job must not leave ranks waiting on
  // each other). Alone: returns, and the caller exits as usual.
  virtual void abort(int /*exitCode*/) {}
};

// Message tags, one per kind of result.
enum WorkerTag : int { kSurfacePointsTag = 11, kDensityRowTag = 12 };

// The group this process was launched in: MPI's world when started by mpirun (and built with
// FLATLAND_MPI), else this process alone. Throws InvalidArgument when mpirun started several
// ranks of a build without MPI, which would otherwise all write the same file.
std::unique_ptr<WorkerGroup> joinLaunchedGroup(int& argc, char**& argv);

// The number of ranks the launcher announces in the environment (1 when not under mpirun).
int launchedRankCount();

// The slice of n items this rank takes when items are dealt round-robin: i % size == rank.
inline bool dealtTo(const WorkerGroup* group, long long item) {
  return !group || group->alone() || item % group->size() == group->rank();
}

}  // namespace flatland::analysis
