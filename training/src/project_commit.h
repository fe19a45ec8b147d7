// How a project file changes: every commit is applied to an in-memory copy of the file, written
// beside it and renamed into place, under a process-wide mutex and a lock file shared with other
// processes (docs/project-file.md states what this promises). Private to flatland_training.
#pragma once

#include <functional>
#include <string>

#include "hdf5_handle.h"

namespace flatland::training::project_commit {

enum class Rewrite {
  Change,          // copy the existing file, change the copy, rename it into place
  CreateIfMissing  // create a new file, unless another process created it meanwhile
};

// Applies `change` to an in-memory copy of `path` (or a new file), writes it beside the file and
// renames it into place. Any failure leaves the old file as it was, no temporary copy and no open
// HDF5 object behind; the ProjectError says whether the disk is full.
void atomicRewrite(const std::string& givenPath, Rewrite mode,
                   const std::function<void(hid_t)>& change);

// Throws ProjectError unless `path` is a Flatland project this version can read.
void checkIsProject(const std::string& path);

}  // namespace flatland::training::project_commit
