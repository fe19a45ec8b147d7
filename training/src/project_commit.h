// How a project file changes: every commit is applied to an in-memory copy of the file, written
// beside it and renamed into place, under a process-wide mutex and a lock file shared with other
// processes (docs/project-file.md states what this promises). Private to flatland_training.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

// An HDF5 file held in memory (the core driver, no backing store): HDF5 never writes to the disk
// for it, so a full disk cannot fail inside HDF5; close() hands its bytes back to be written.
struct ImageCapture;
class InMemoryFile {
 public:
  static InMemoryFile create();
  static InMemoryFile load(const std::vector<char>& image);
  InMemoryFile();
  ~InMemoryFile();
  InMemoryFile(InMemoryFile&&) noexcept;
  InMemoryFile& operator=(InMemoryFile&&) noexcept;
  hid_t id() const { return m_file.get(); }
  std::vector<char> close();

 private:
  std::unique_ptr<ImageCapture> m_capture;  // the driver's buffers; outlives m_file
  h5::Handle m_file;
};

// One writer at a time in the whole process, whatever the file.
std::mutex& writeMutex();

// An exclusive lock on the sidecar .NAME.h5.lock, shared with other processes writing the
// project; waits up to 60 s for it, then throws ProjectError.
class CrossProcessWriteLock {
 public:
  explicit CrossProcessWriteLock(const std::string& path);
  ~CrossProcessWriteLock();
  CrossProcessWriteLock(const CrossProcessWriteLock&) = delete;
  CrossProcessWriteLock& operator=(const CrossProcessWriteLock&) = delete;

 private:
  void release();
  int m_fd = -1;
};

// The file a commit replaces: a symbolic link is followed (the link stays a link).
std::string resolveTarget(const std::string& path);
// Temporary copies left by killed writers (.NAME.h5.tmp-PID) whose process is gone.
void removeStaleTemporaries(const std::string& path);
// What an errno means for a user ("the disk is full (No space left on device)").
std::string describeErrno(int error);

std::vector<char> readWholeFile(const std::string& path);
// Writes a new file and flushes it to disk (mode 0: the default permissions); on failure the
// partial file is removed and the ProjectError says why. Counts as a write for the test hook
// FLATLAND_TEST_FAIL_COMMITS.
void writeFileDurably(const std::string& path, const std::vector<char>& bytes, mode_t mode);
// writeFileDurably to .NAME.tmp-PID, renamed over `path`, the directory flushed.
void replaceDurably(const std::string& path, const std::vector<char>& bytes, mode_t mode);

}  // namespace flatland::training::project_commit
