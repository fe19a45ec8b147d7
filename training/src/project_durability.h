// Opening a project file and changing it durably (a mutex per process, a lock file across
// processes, a copy renamed into place). Private to training/: the public interface is
// ProjectFile (project_file.h).
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "hdf5_handle.h"

namespace flatland::training::detail {

std::string errnoText();
void fsyncPath(const std::string& path, bool directory);
h5::Handle creationProperties();
h5::Handle accessProperties();
h5::Handle openFile(const std::string& path, unsigned flags);
// Throws ProjectError when `path` is not a Flatland project this version can read.
void checkIsProject(const std::string& path);
std::mutex& writeMutex();
std::string temporaryNameFor(const std::string& path);
std::string lockNameFor(const std::string& path);

enum class Rewrite {
  Change,          // copy the existing file, change the copy, rename it into place
  CreateIfMissing  // create a new file, unless another process created it meanwhile
};

// Writes into a copy of `path` (or a new file) and renames it into place.
void atomicRewrite(const std::string& path, Rewrite mode, const std::function<void(hid_t)>& change);

}  // namespace flatland::training::detail
