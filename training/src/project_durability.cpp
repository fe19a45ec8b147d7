// Opening project files, and changing them durably: a process-wide mutex, a cross-process lock
// file, and every change written into a copy that is renamed into place (project_durability.h).
#include "project_durability.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "flatland/errors.h"
#include "project_hdf5.h"

namespace flatland::training::detail {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- files and durability

std::string errnoText() { return std::strerror(errno); }

void fsyncPath(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) throw ProjectError("cannot open " + path + " to flush it: " + errnoText());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) throw ProjectError("cannot flush " + path + " to disk: " + errnoText());
}

// File-creation settings: free space is tracked across sessions so rewriting metrics or a
// surface block does not make the file grow without bound.
h5::Handle creationProperties() {
  auto fcpl = h5::plist(H5Pcreate(H5P_FILE_CREATE));
  H5Pset_file_space_strategy(fcpl, H5F_FSPACE_STRATEGY_FSM_AGGR, 1, 1);
  H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  return fcpl;
}

h5::Handle accessProperties() {
  auto fapl = h5::plist(H5Pcreate(H5P_FILE_ACCESS));
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
  return fapl;
}

h5::Handle openFile(const std::string& path, unsigned flags) {
  auto fapl = accessProperties();
  auto f = h5::file(H5Fopen(path.c_str(), flags, fapl));
  if (!f.valid()) throw ProjectError("cannot open project file " + path + ": " + h5::lastErrorMessage());
  return f;
}

void checkIsProject(const std::string& path) {
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw ProjectError(path + " is not an HDF5 file, so it cannot be a Flatland project");
  auto f = openFile(path, H5F_ACC_RDONLY);
  auto attrs = readAttributes(f);
  auto it = attrs.find("format");
  if (it == attrs.end() || !std::holds_alternative<std::string>(it->second) ||
      std::get<std::string>(it->second) != kProjectFormat)
    throw ProjectError(path + " is an HDF5 file but not a Flatland project (its root has no "
                       "format='flatland-project' attribute); choose another file name");
  auto version = attrs.find("version");
  if (version != attrs.end() && std::holds_alternative<int64_t>(version->second) &&
      std::get<int64_t>(version->second) > kProjectVersion)
    throw ProjectError(path + " was written by a newer Flatland (schema version " +
                       std::to_string(std::get<int64_t>(version->second)) + "); upgrade Flatland");
}

// One writer at a time in the whole process, whatever the file: the mutex is global, so writes
// to different projects wait for each other too (across processes, the lock file serialises them).
std::mutex& writeMutex() {
  static std::mutex m;
  return m;
}

std::string temporaryNameFor(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
}

std::string lockNameFor(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".lock")).string();
}

// How long a writer waits for another process's write before giving up.
constexpr std::chrono::seconds kWriteLockTimeout{60};

// An exclusive flock held across copy, write and rename, so that two processes writing the same
// project cannot both copy the old file and the second rename drop the first one's change.
// The lock is on a sidecar file (.NAME.h5.lock), not on the project: the rename gives the project
// a new inode, so a writer arriving after it would lock the new inode while the first writer
// still holds the old one. The sidecar is kept, never removed: unlinking it while another process
// waits on it would let a third lock a fresh file. (A lock on the directory would serialise every
// project in it, and flock on a directory fails on NFS, where it is emulated by fcntl locks.)
class CrossProcessWriteLock {
 public:
  explicit CrossProcessWriteLock(const std::string& path) {
    const std::string lockPath = lockNameFor(path);
    m_fd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (m_fd < 0) throw ProjectError("cannot open the lock file " + lockPath + ": " + errnoText());
    const auto deadline = std::chrono::steady_clock::now() + kWriteLockTimeout;
    auto pause = std::chrono::milliseconds(1);
    while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      if (errno != EWOULDBLOCK) {
        const std::string reason = errnoText();
        release();
        throw ProjectError("cannot lock " + lockPath + ": " + reason);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        release();
        throw ProjectError("another Flatland process is writing " + path +
                           "; try again when it finishes");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }
  ~CrossProcessWriteLock() { release(); }
  CrossProcessWriteLock(const CrossProcessWriteLock&) = delete;
  CrossProcessWriteLock& operator=(const CrossProcessWriteLock&) = delete;

 private:
  void release() {
    if (m_fd >= 0) ::close(m_fd);  // closing the descriptor drops the lock
    m_fd = -1;
  }
  int m_fd = -1;
};

// Writes into a copy of `path` (or a new file) and renames it into place.
void atomicRewrite(const std::string& path, Rewrite mode, const std::function<void(hid_t)>& change) {
  h5::QuietErrors quiet;
  std::lock_guard<std::mutex> lock(writeMutex());
  const std::string tmp = temporaryNameFor(path);
  std::error_code ec;
  try {
    CrossProcessWriteLock fileLock(path);
    const bool copyExisting = mode == Rewrite::Change;
    if (!copyExisting && fs::exists(path)) return;  // created by another process while we waited
    fs::remove(tmp, ec);
    if (copyExisting) {
      fs::copy_file(path, tmp, fs::copy_options::overwrite_existing);
    }
    {
      h5::Handle file;
      if (copyExisting) {
        file = openFile(tmp, H5F_ACC_RDWR);
      } else {
        auto fcpl = creationProperties();
        auto fapl = accessProperties();
        file = h5::file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, fapl));
        if (!file.valid()) throw ProjectError("cannot create " + tmp + ": " + h5::lastErrorMessage());
      }
      change(file);
      check(H5Fflush(file, H5F_SCOPE_GLOBAL), "cannot flush the project file");
      file.reset();
    }
    fsyncPath(tmp, false);
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw ProjectError("cannot replace " + path + ": " + errnoText());
    fsyncPath(fs::absolute(path).parent_path().string(), true);
  } catch (const fs::filesystem_error& e) {
    fs::remove(tmp, ec);
    throw ProjectError("cannot save to " + path + ": " + e.code().message() +
                       "; the project file was not changed");
  } catch (const ProjectError& e) {
    fs::remove(tmp, ec);
    throw ProjectError(std::string(e.what()) + "; the project file " + path + " was not changed");
  }
}

}  // namespace flatland::training::detail
