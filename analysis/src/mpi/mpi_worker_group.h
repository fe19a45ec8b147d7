// The MPI implementation of WorkerGroup (built with FLATLAND_MPI only).
#pragma once

#include <memory>

#include "flatland/analysis/worker_group.h"

namespace flatland::analysis {

// Initialises MPI (finalised when the group is destroyed) and returns MPI_COMM_WORLD as a group.
std::unique_ptr<WorkerGroup> joinMpiWorld(int& argc, char**& argv);

}  // namespace flatland::analysis
