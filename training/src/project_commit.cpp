// Commits of a project file: in-memory copy, durable write, rename, locks (project_commit.h).
#include "project_commit.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "project_hdf5.h"

namespace flatland::training::project_commit {

namespace fs = std::filesystem;
using namespace project_hdf5;

// ---------------------------------------------------------------- files and durability

// What an errno means for a user: a full disk must say so in words.
std::string describeErrno(int error) {
  if (error == ENOSPC) return "the disk is full (No space left on device)";
  if (error == EDQUOT)
    return "the disk quota is exceeded (" + std::string(std::strerror(error)) + ")";
  return std::strerror(error);
}

std::string errnoText() { return describeErrno(errno); }

void fsyncPath(const std::string& path, bool directory) {
  int fd =
      ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ProjectError("cannot open " + path + " to flush it: " + errnoText());
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  errno = saved;
  if (rc != 0) throw ProjectError("cannot flush " + path + " to disk: " + errnoText());
}

constexpr const char* kTemporaryMarker = ".tmp-";

std::string temporaryNameFor(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() /
          ("." + p.filename().string() + kTemporaryMarker + std::to_string(::getpid())))
      .string();
}

// Test hook: FLATLAND_TEST_FAIL_COMMITS lists writes of project files that fail as on a full
// disk, after part of the new copy is written. Writes are counted from 1 while the variable is
// set (afresh when its value changes), creations included: "3" the third only, "3-" the third
// and every later one, "2,5" the second and fifth. Called with the write mutex held.
bool injectedFullDisk() {
  static std::string lastSpec;
  static int count = 0;
  const char* spec = std::getenv("FLATLAND_TEST_FAIL_COMMITS");
  if (!spec || !*spec) {
    lastSpec.clear();
    count = 0;
    return false;
  }
  const std::string text = spec;
  if (text != lastSpec) {
    lastSpec = text;
    count = 0;
  }
  const int n = ++count;
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    const std::string token =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!token.empty()) {
      const bool andLater = token.back() == '-';
      const int k = std::atoi(token.c_str());
      if (k > 0 && (n == k || (andLater && n > k))) return true;
    }
    if (comma == std::string::npos) return false;
    pos = comma + 1;
  }
}

std::vector<char> readWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ProjectError("cannot read " + path + ": " + errnoText());
  struct stat st {};
  std::vector<char> bytes;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) bytes.reserve(size_t(st.st_size));
  char chunk[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = errnoText();
      ::close(fd);
      throw ProjectError("cannot read " + path + ": " + why);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  ::close(fd);
  return bytes;
}

// Writes `bytes` to a new file `path` (permissions `mode`, or the default for new files when 0)
// and flushes it to disk. On failure the partial file is removed and the error says why.
void writeFileDurably(const std::string& path, const std::vector<char>& bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    throw ProjectError(errnoText() + " (while trying to create the new copy " + path + ")");
  auto fail = [&](const std::string& what) {
    const std::string why = errnoText();
    ::close(fd);
    ::unlink(path.c_str());
    throw ProjectError(why + " (while trying to " + what + " the new copy " + path + ")");
  };
  if (mode != 0 && ::fchmod(fd, mode) != 0) fail("set the permissions of");
  const bool injected = injectedFullDisk();
  size_t done = 0;
  const size_t limit = injected ? bytes.size() / 2 : bytes.size();
  while (done < limit) {
    ssize_t n = ::write(fd, bytes.data() + done, limit - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    done += size_t(n);
  }
  if (injected) {
    errno = ENOSPC;
    fail("write");
  }
  if (::fsync(fd) != 0) fail("flush");
  if (::close(fd) != 0) {
    const std::string why = errnoText();
    ::unlink(path.c_str());
    throw ProjectError(why + " (while trying to write the new copy " + path + ")");
  }
}

void replaceDurably(const std::string& path, const std::vector<char>& bytes, mode_t mode) {
  const std::string tmp = temporaryNameFor(path);
  writeFileDurably(tmp, bytes, mode);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errnoText();
    std::error_code ec;
    fs::remove(tmp, ec);
    throw ProjectError(why + " (while trying to rename the new copy over " + path + ")");
  }
  // The new file is in place: a failure to flush the directory entry cannot undo that, so the
  // commit stands (it is durable on every file system that matters once the rename returns).
  try {
    fsyncPath(fs::absolute(path).parent_path().string(), true);
  } catch (const ProjectError&) {
  }
}

// ---------------------------------------------------------------- in-memory writes
//
// A transaction is applied to an in-memory copy of the file (HDF5's core driver without a
// backing store), and the image HDF5 leaves when it closes that copy is written to disk by us.
// HDF5 never writes to the disk itself, so a full disk cannot fail inside H5Fflush/H5Fclose
// (which would leave the file id open and crash the library at exit), and our own write reports
// ENOSPC as it is.

// The core driver's buffers, allocated through these callbacks so that the last one, which
// holds the closed file, is handed to us instead of being freed.
struct ImageCapture {
  std::map<void*, size_t> sizes;  // live buffers and their sizes
  void* closed = nullptr;         // the buffer of the closed file, owned by us
  size_t closedSize = 0;
  ~ImageCapture() { std::free(closed); }
};

void* imageMalloc(size_t size, H5FD_file_image_op_t, void* udata) {
  void* p = std::malloc(size ? size : 1);
  if (p) static_cast<ImageCapture*>(udata)->sizes[p] = size;
  return p;
}
void* imageMemcpy(void* dest, const void* src, size_t size, H5FD_file_image_op_t, void*) {
  return std::memcpy(dest, src, size);
}
void* imageRealloc(void* ptr, size_t size, H5FD_file_image_op_t, void* udata) {
  auto* capture = static_cast<ImageCapture*>(udata);
  // Found before the realloc: the old pointer is not to be read after it (-Wuse-after-free).
  const auto old = capture->sizes.find(ptr);
  void* p = std::realloc(ptr, size ? size : 1);
  if (p) {
    if (old != capture->sizes.end()) capture->sizes.erase(old);
    capture->sizes[p] = size;
  }
  return p;
}
herr_t imageFree(void* ptr, H5FD_file_image_op_t op, void* udata) {
  auto* capture = static_cast<ImageCapture*>(udata);
  auto it = capture->sizes.find(ptr);
  const size_t size = it == capture->sizes.end() ? 0 : it->second;
  if (it != capture->sizes.end()) capture->sizes.erase(it);
  if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE && ptr) {
    std::free(capture->closed);
    capture->closed = ptr;
    capture->closedSize = size;
    return 0;
  }
  std::free(ptr);
  return 0;
}
void* imageUdataCopy(void* udata) { return udata; }
herr_t imageUdataFree(void*) { return 0; }

// File access in memory; with `image`, the file starts as those bytes.
h5::Handle inMemoryAccess(ImageCapture& capture, const std::vector<char>* image) {
  auto fapl = accessProperties();
  const size_t increment = image ? std::max<size_t>(1 << 16, image->size() / 8) : (1 << 16);
  check(H5Pset_fapl_core(fapl, increment, 0), "cannot set up the in-memory copy");
  H5FD_file_image_callbacks_t callbacks = {imageMalloc,    imageMemcpy,    imageRealloc, imageFree,
                                           imageUdataCopy, imageUdataFree, &capture};
  check(H5Pset_file_image_callbacks(fapl, &callbacks), "cannot set up the in-memory copy");
  if (image)
    check(H5Pset_file_image(fapl, const_cast<char*>(image->data()), image->size()),
          "cannot load the project file into memory");
  return fapl;
}

// The closed in-memory file as bytes: the core driver's buffer grows in steps, so the bytes
// after the end of the file (the superblock's end-of-file address, versions 2 and 3) are cut.
std::vector<char> closedImage(ImageCapture& capture) {
  if (!capture.closed) throw ProjectError("HDF5 did not hand back the in-memory copy of the file");
  const auto* b = static_cast<const unsigned char*>(capture.closed);
  size_t size = capture.closedSize;
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (size >= 48 && std::memcmp(b, kSignature, 8) == 0 && (b[8] == 2 || b[8] == 3) && b[9] == 8) {
    uint64_t base = 0, eof = 0;
    for (int i = 7; i >= 0; --i) base = (base << 8) | b[12 + i];
    for (int i = 7; i >= 0; --i) eof = (eof << 8) | b[28 + i];
    if (base == 0 && eof >= 48 && eof <= size) size = size_t(eof);
  }
  return {static_cast<const char*>(capture.closed),
          static_cast<const char*>(capture.closed) + size};
}

InMemoryFile::InMemoryFile() : m_capture(std::make_unique<ImageCapture>()) {}
InMemoryFile::~InMemoryFile() = default;
InMemoryFile::InMemoryFile(InMemoryFile&&) noexcept = default;
InMemoryFile& InMemoryFile::operator=(InMemoryFile&&) noexcept = default;

// Each in-memory file gets a name of its own: HDF5 tells open files apart by name.
std::string inMemoryName() {
  static std::atomic<long> counter{0};
  return "flatland-in-memory-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

InMemoryFile InMemoryFile::create() {
  InMemoryFile f;
  auto fcpl = creationProperties();
  auto fapl = inMemoryAccess(*f.m_capture, nullptr);
  f.m_file = h5::file(H5Fcreate(inMemoryName().c_str(), H5F_ACC_TRUNC, fcpl, fapl));
  if (!f.m_file.valid()) throw ProjectError("HDF5 cannot create it: " + h5::lastErrorMessage());
  return f;
}

InMemoryFile InMemoryFile::load(const std::vector<char>& image) {
  if (image.empty()) throw ProjectError("the file is empty: it is not a Flatland project");
  InMemoryFile f;
  auto fapl = inMemoryAccess(*f.m_capture, &image);
  f.m_file = h5::file(H5Fopen(inMemoryName().c_str(), H5F_ACC_RDWR, fapl));
  if (!f.m_file.valid()) throw ProjectError("HDF5 cannot open it: " + h5::lastErrorMessage());
  return f;
}

std::vector<char> InMemoryFile::close() {
  if (H5Fclose(m_file.release()) < 0)
    throw ProjectError("cannot finish the changes to the project file: " + h5::lastErrorMessage());
  return closedImage(*m_capture);
}

void checkIsProject(const std::string& path) {
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw ProjectError(path + " is not an HDF5 file, so it cannot be a Flatland project");
  auto f = openFile(path, H5F_ACC_RDONLY);
  auto attrs = readAttributes(f);
  auto it = attrs.find(schema::kFormat);
  if (it == attrs.end() || !std::holds_alternative<std::string>(it->second) ||
      std::get<std::string>(it->second) != kProjectFormat)
    throw ProjectError(path +
                       " is an HDF5 file but not a Flatland project (its root has no "
                       "format='flatland-project' attribute); choose another file name");
  auto version = attrs.find(schema::kVersion);
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

std::string lockNameFor(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".lock")).string();
}

// The file a commit replaces: a symbolic link is followed, so the link stays a link and its
// target gets the new contents (the temporary copy and the lock sit beside the target).
std::string resolveTarget(const std::string& path) {
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
  auto target = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) throw ProjectError("cannot follow the symbolic link " + path + ": " + ec.message());
  return target.string();
}

// Temporary copies left by writers that were killed mid-commit (.NAME.h5.tmp-PID): removed when
// their process is gone. Called with the cross-process lock held, so no live writer of this
// project is between copy and rename; a copy whose PID is alive is kept all the same.
void removeStaleTemporaries(const std::string& path) {
  fs::path p(path);
  const std::string prefix = "." + p.filename().string() + kTemporaryMarker;
  std::error_code ec;
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(digits.c_str(), nullptr, 10);
    if (pid <= 0 || pid == long(::getpid())) continue;
    if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
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
CrossProcessWriteLock::CrossProcessWriteLock(const std::string& path) {
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

CrossProcessWriteLock::~CrossProcessWriteLock() { release(); }

void CrossProcessWriteLock::release() {
  if (m_fd >= 0) ::close(m_fd);  // closing the descriptor drops the lock
  m_fd = -1;
}

// Applies `change` to an in-memory copy of `path` (or a new file), writes it beside the file and
// renames it into place. Any failure leaves the old file as it was, no temporary copy and no open
// HDF5 object behind.
void atomicRewrite(const std::string& givenPath, Rewrite mode,
                   const std::function<void(hid_t)>& change) {
  h5::QuietErrors quiet;
  std::lock_guard<std::mutex> lock(writeMutex());
  const std::string path = resolveTarget(givenPath);
  const std::string tmp = temporaryNameFor(path);
  const bool creating = mode == Rewrite::CreateIfMissing;
  std::error_code ec;
  try {
    CrossProcessWriteLock fileLock(path);
    removeStaleTemporaries(path);
    const bool copyExisting = mode == Rewrite::Change;
    if (!copyExisting && fs::exists(path)) return;  // created by another process while we waited
    fs::remove(tmp, ec);
    mode_t permissions = 0;
    InMemoryFile file;
    if (copyExisting) {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0) permissions = st.st_mode & 07777;
      file = InMemoryFile::load(readWholeFile(path));  // the driver holds its own copy
    } else {
      file = InMemoryFile::create();
    }
    change(file.id());
    replaceDurably(path, file.close(), permissions);
  } catch (const fs::filesystem_error& e) {
    fs::remove(tmp, ec);
    throw ProjectError(
        "cannot save to " + givenPath + ": " + describeErrno(e.code().value()) +
        (creating ? "; no project file was created" : "; the project file was not changed"));
  } catch (const ProjectError& e) {
    fs::remove(tmp, ec);
    throw ProjectError(
        (creating ? "cannot create " : "cannot save to ") + givenPath + ": " + e.what() +
        (creating ? "; no project file was created" : "; the project file was not changed"));
  }
}

}  // namespace flatland::training::project_commit
