#include "flatland/analysis/worker_group.h"

#include <cstdlib>
#include <string>

#include "flatland/errors.h"

#ifdef FLATLAND_HAVE_MPI
#include "mpi/mpi_worker_group.h"
#endif

namespace flatland::analysis {

void WorkerGroup::sendToRoot(int, const std::vector<double>&) {
  throw InvalidArgument("a process running alone has no root to send results to");
}

std::optional<WorkerGroup::Message> WorkerGroup::receive(int, bool wait, int) {
  if (wait) throw InvalidArgument("a process running alone has no workers to wait for");
  return std::nullopt;
}

int launchedRankCount() {
  // Open MPI's, then the PMI variables MPICH and Slurm set.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  }
  return 1;
}

std::unique_ptr<WorkerGroup> joinLaunchedGroup(int& argc, char**& argv) {
#ifdef FLATLAND_HAVE_MPI
  if (launchedRankCount() > 1) return joinMpiWorld(argc, argv);
#else
  (void)argc;
  (void)argv;
  if (launchedRankCount() > 1)
    throw InvalidArgument(
        "started by mpirun with " + std::to_string(launchedRankCount()) +
        " ranks, but this flatland-cli was built without MPI: configure with -DFLATLAND_MPI=ON "
        "(or run one process)");
#endif
  return std::make_unique<WorkerGroup>();
}

}  // namespace flatland::analysis
