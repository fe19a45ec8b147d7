#include "flatland/training/project_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "flatland/errors.h"
#include "flatland/version.h"
#include "hdf5_handle.h"

namespace flatland::training {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- Array and Node helpers

Array Array::f32(std::vector<float> v, std::vector<int64_t> shape) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return {std::move(shape), std::move(v)};
}
Array Array::f64(std::vector<double> v, std::vector<int64_t> shape) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return {std::move(shape), std::move(v)};
}
Array Array::i64(std::vector<int64_t> v, std::vector<int64_t> shape) {
  if (shape.empty()) shape = {int64_t(v.size())};
  return {std::move(shape), std::move(v)};
}

int64_t Array::size() const {
  return std::visit([](const auto& v) { return int64_t(v.size()); }, values);
}

std::vector<double> Array::asDoubles() const {
  return std::visit([](const auto& v) { return std::vector<double>(v.begin(), v.end()); }, values);
}

const Node& Node::group(const std::string& name) const {
  auto it = groups.find(name);
  if (it == groups.end()) throw ProjectError("the project file has no group '" + name + "' here");
  return it->second;
}

const Array& Node::dataset(const std::string& name) const {
  auto it = datasets.find(name);
  if (it == datasets.end()) throw ProjectError("the project file has no dataset '" + name + "' here");
  return it->second;
}

std::string Node::text(const std::string& attribute) const {
  auto it = attributes.find(attribute);
  if (it == attributes.end() || !std::holds_alternative<std::string>(it->second))
    throw ProjectError("the project file has no text attribute '" + attribute + "' here");
  return std::get<std::string>(it->second);
}

double Node::number(const std::string& attribute) const {
  auto it = attributes.find(attribute);
  if (it != attributes.end()) {
    if (auto* i = std::get_if<int64_t>(&it->second)) return double(*i);
    if (auto* d = std::get_if<double>(&it->second)) return *d;
  }
  throw ProjectError("the project file has no numeric attribute '" + attribute + "' here");
}

std::string sanitizeName(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') ? c : '_';
  if (out.empty() || out == "." || out == "..") out = "unnamed";
  return out;
}

std::string isoTimestampUtc() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---------------------------------------------------------------- low-level HDF5 writing

namespace {

std::string parentOf(const std::string& path) {
  auto pos = path.find_last_of('/');
  return pos == 0 || pos == std::string::npos ? "/" : path.substr(0, pos);
}

std::string joinPath(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw ProjectError(what + ": " + h5::lastErrorMessage());
}

bool linkExists(hid_t file, const std::string& path) {
  if (path == "/") return true;
  // H5Lexists fails when an intermediate group is missing, so walk the path.
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    std::string prefix = path.substr(0, pos);
    if (H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

h5::Handle openOrCreateGroup(hid_t file, const std::string& path) {
  if (linkExists(file, path)) {
    auto g = h5::group(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
    if (!g.valid()) throw ProjectError("'" + path + "' in the project file is not a group");
    return g;
  }
  auto lcpl = h5::plist(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl, 1);
  // Track creation order so h5ls and the GUI list runs and epochs as they were made.
  auto gcpl = h5::plist(H5Pcreate(H5P_GROUP_CREATE));
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  auto g = h5::group(H5Gcreate2(file, path.c_str(), lcpl, gcpl, H5P_DEFAULT));
  if (!g.valid()) throw ProjectError("cannot create group '" + path + "': " + h5::lastErrorMessage());
  return g;
}

void removeIfPresent(hid_t file, const std::string& path) {
  if (path != "/" && linkExists(file, path))
    check(H5Ldelete(file, path.c_str(), H5P_DEFAULT), "cannot remove '" + path + "'");
}

h5::Handle stringType() {
  auto type = h5::datatype(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  return type;
}

void writeAttribute(hid_t object, const std::string& name, const AttributeValue& value) {
  if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
  auto create = [&](hid_t type, hid_t space) {
    auto a = h5::attribute(H5Acreate2(object, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
    if (!a.valid()) throw ProjectError("cannot write attribute '" + name + "': " + h5::lastErrorMessage());
    return a;
  };
  auto vectorSpace = [](size_t n) {
    hsize_t dims[1] = {n};
    return h5::dataspace(H5Screate_simple(1, dims, nullptr));
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          auto space = h5::dataspace(H5Screate(H5S_SCALAR));
          check(H5Awrite(create(H5T_NATIVE_INT64, space), H5T_NATIVE_INT64, &v), "attribute " + name);
        } else if constexpr (std::is_same_v<T, double>) {
          auto space = h5::dataspace(H5Screate(H5S_SCALAR));
          check(H5Awrite(create(H5T_NATIVE_DOUBLE, space), H5T_NATIVE_DOUBLE, &v), "attribute " + name);
        } else if constexpr (std::is_same_v<T, std::string>) {
          auto space = h5::dataspace(H5Screate(H5S_SCALAR));
          auto type = stringType();
          const char* p = v.c_str();
          check(H5Awrite(create(type, space), type, &p), "attribute " + name);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          auto space = vectorSpace(v.size());
          check(H5Awrite(create(H5T_NATIVE_INT64, space), H5T_NATIVE_INT64, v.data()), "attribute " + name);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          auto space = vectorSpace(v.size());
          check(H5Awrite(create(H5T_NATIVE_DOUBLE, space), H5T_NATIVE_DOUBLE, v.data()), "attribute " + name);
        } else {
          auto space = vectorSpace(v.size());
          auto type = stringType();
          std::vector<const char*> ptrs;
          for (auto& s : v) ptrs.push_back(s.c_str());
          check(H5Awrite(create(type, space), type, ptrs.data()), "attribute " + name);
        }
      },
      value);
}

void writeAttributes(hid_t object, const Attributes& attributes) {
  for (auto& [name, value] : attributes) writeAttribute(object, name, value);
}

void writeArray(hid_t file, const std::string& path, const Array& array) {
  removeIfPresent(file, path);
  openOrCreateGroup(file, parentOf(path));
  std::vector<hsize_t> dims(array.shape.begin(), array.shape.end());
  int64_t expected = 1;
  for (auto d : array.shape) expected *= d;
  if (expected != array.size())
    throw ProjectError("dataset '" + path + "' has " + std::to_string(array.size()) +
                       " values but its shape holds " + std::to_string(expected));
  auto space = h5::dataspace(dims.empty() ? H5Screate(H5S_SCALAR)
                                          : H5Screate_simple(int(dims.size()), dims.data(), nullptr));
  // Large arrays are chunked and compressed; small ones stay contiguous (cheaper to read).
  auto dcpl = h5::plist(H5Pcreate(H5P_DATASET_CREATE));
  if (array.size() >= 4096 && !dims.empty()) {
    std::vector<hsize_t> chunk = dims;
    hsize_t elements = 1;
    for (auto& c : chunk) elements *= c;
    for (size_t i = 0; elements > (1u << 16) && i < chunk.size(); ++i) {
      while (chunk[i] > 1 && elements > (1u << 16)) {
        elements /= chunk[i];
        chunk[i] = (chunk[i] + 1) / 2;
        elements *= chunk[i];
      }
    }
    H5Pset_chunk(dcpl, int(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
  }
  std::visit(
      [&](const auto& v) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        hid_t type = std::is_same_v<T, float>    ? H5T_NATIVE_FLOAT
                     : std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE
                                                 : H5T_NATIVE_INT64;
        auto lcpl = h5::plist(H5Pcreate(H5P_LINK_CREATE));
        H5Pset_create_intermediate_group(lcpl, 1);
        auto dset = h5::dataset(H5Dcreate2(file, path.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT));
        if (!dset.valid()) throw ProjectError("cannot create dataset '" + path + "': " + h5::lastErrorMessage());
        check(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "cannot write dataset '" + path + "'");
      },
      array.values);
}

void writeNode(hid_t file, const std::string& path, const Node& node) {
  {
    auto g = openOrCreateGroup(file, path);
    writeAttributes(g, node.attributes);
  }
  for (auto& [name, array] : node.datasets) writeArray(file, joinPath(path, name), array);
  for (auto& [name, child] : node.groups) writeNode(file, joinPath(path, name), child);
}

// ---------------------------------------------------------------- low-level HDF5 reading

AttributeValue readAttribute(hid_t attr, const std::string& name) {
  auto type = h5::datatype(H5Aget_type(attr));
  auto space = h5::dataspace(H5Aget_space(attr));
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  const bool scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      std::vector<int64_t> v(n);
      check(H5Aread(attr, H5T_NATIVE_INT64, v.data()), "attribute " + name);
      if (scalar) return v.at(0);
      return v;
    }
    case H5T_FLOAT: {
      std::vector<double> v(n);
      check(H5Aread(attr, H5T_NATIVE_DOUBLE, v.data()), "attribute " + name);
      if (scalar) return v.at(0);
      return v;
    }
    case H5T_STRING: {
      std::vector<std::string> out;
      if (H5Tis_variable_str(type) > 0) {
        auto memType = stringType();
        std::vector<char*> ptrs(n, nullptr);
        check(H5Aread(attr, memType, ptrs.data()), "attribute " + name);
        for (auto* p : ptrs) out.emplace_back(p ? p : "");
        H5Dvlen_reclaim(memType, space, H5P_DEFAULT, ptrs.data());
      } else {
        const size_t size = H5Tget_size(type);
        std::vector<char> buf(size * n);
        check(H5Aread(attr, type, buf.data()), "attribute " + name);
        for (hssize_t i = 0; i < n; ++i) {
          std::string s(buf.data() + i * size, size);
          out.push_back(s.substr(0, s.find('\0')));
        }
      }
      if (scalar) return out.at(0);
      return out;
    }
    default:
      return std::string("(unsupported attribute type)");
  }
}

Attributes readAttributes(hid_t object) {
  Attributes out;
  H5O_info_t info;
  check(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), "cannot inspect object");
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    auto attr = h5::attribute(H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT));
    ssize_t len = H5Aget_name(attr, 0, nullptr);
    std::string name(len, '\0');
    H5Aget_name(attr, len + 1, name.data());
    out[name] = readAttribute(attr, name);
  }
  return out;
}

Array readArray(hid_t file, const std::string& path) {
  auto dset = h5::dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dset.valid()) throw ProjectError("the project file has no dataset '" + path + "'");
  auto space = h5::dataspace(H5Dget_space(dset));
  int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  Array array;
  array.shape.assign(dims.begin(), dims.end());
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  auto type = h5::datatype(H5Dget_type(dset));
  const auto cls = H5Tget_class(type);
  if (cls == H5T_INTEGER) {
    std::vector<int64_t> v(n);
    check(H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "cannot read " + path);
    array.values = std::move(v);
  } else if (cls == H5T_FLOAT && H5Tget_size(type) <= 4) {
    std::vector<float> v(n);
    check(H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "cannot read " + path);
    array.values = std::move(v);
  } else if (cls == H5T_FLOAT) {
    std::vector<double> v(n);
    check(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), "cannot read " + path);
    array.values = std::move(v);
  } else {
    throw ProjectError("dataset '" + path + "' has a type Flatland does not read");
  }
  return array;
}

struct ChildList {
  std::vector<std::pair<std::string, H5O_type_t>> children;
};

herr_t collectChild(hid_t group, const char* name, const H5L_info_t*, void* data) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0)
    static_cast<ChildList*>(data)->children.emplace_back(name, info.type);
  return 0;
}

ChildList children(hid_t group) {
  ChildList list;
  hsize_t idx = 0;
  H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collectChild, &list);
  return list;
}

Node readNode(hid_t file, const std::string& path, bool recursive) {
  auto g = h5::group(H5Gopen2(file, path.c_str(), H5P_DEFAULT));
  if (!g.valid()) throw ProjectError("the project file has no group '" + path + "'");
  Node node;
  node.attributes = readAttributes(g);
  for (auto& [name, type] : children(g).children) {
    const std::string child = joinPath(path, name);
    if (type == H5O_TYPE_GROUP) {
      node.groups[name] = recursive ? readNode(file, child, true) : Node{};
    } else if (type == H5O_TYPE_DATASET) {
      node.datasets[name] = recursive ? readArray(file, child) : Array{};
    }
  }
  return node;
}

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

// One writer at a time per process; transactions on one file are serialised.
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

enum class Rewrite {
  Change,          // copy the existing file, change the copy, rename it into place
  CreateIfMissing  // create a new file, unless another process created it meanwhile
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

}  // namespace

// ---------------------------------------------------------------- ProjectFile

ProjectFile ProjectFile::openOrCreate(const std::string& path) {
  if (fs::exists(path)) return open(path);
  auto parent = fs::absolute(path).parent_path();
  if (!fs::is_directory(parent))
    throw ProjectError("cannot create project file " + path + ": folder " + parent.string() +
                       " does not exist");
  // Another process may create it at the same moment: the first one wins, and both open its file.
  atomicRewrite(path, Rewrite::CreateIfMissing, [](hid_t file) {
    auto root = h5::group(H5Gopen2(file, "/", H5P_DEFAULT));
    writeAttributes(root, {{"format", std::string(kProjectFormat)},
                           {"version", kProjectVersion},
                           {"created", isoTimestampUtc()},
                           {"flatland_version", std::string(FLATLAND_VERSION)}});
    openOrCreateGroup(file, "/runs");
    openOrCreateGroup(file, "/analyses");
  });
  return open(path);
}

ProjectFile ProjectFile::open(const std::string& path) {
  h5::QuietErrors quiet;
  if (!fs::exists(path)) throw ProjectError("project file not found: " + path);
  checkIsProject(path);
  return ProjectFile(path);
}

bool ProjectFile::exists(const std::string& objectPath) const {
  h5::QuietErrors quiet;
  auto f = openFile(m_path, H5F_ACC_RDONLY);
  return linkExists(f, objectPath);
}

std::vector<std::string> ProjectFile::list(const std::string& groupPath) const {
  h5::QuietErrors quiet;
  auto f = openFile(m_path, H5F_ACC_RDONLY);
  if (!linkExists(f, groupPath)) return {};
  auto g = h5::group(H5Gopen2(f, groupPath.c_str(), H5P_DEFAULT));
  if (!g.valid()) throw ProjectError("'" + groupPath + "' in " + m_path + " is not a group");
  std::vector<std::string> names;
  for (auto& [name, type] : children(g).children) names.push_back(name);
  return names;
}

Node ProjectFile::read(const std::string& groupPath, bool recursive) const {
  h5::QuietErrors quiet;
  auto f = openFile(m_path, H5F_ACC_RDONLY);
  if (!linkExists(f, groupPath))
    throw ProjectError(m_path + " has no group '" + groupPath + "'");
  return readNode(f, groupPath, recursive);
}

Array ProjectFile::readDataset(const std::string& datasetPath) const {
  h5::QuietErrors quiet;
  auto f = openFile(m_path, H5F_ACC_RDONLY);
  if (!linkExists(f, datasetPath))
    throw ProjectError(m_path + " has no dataset '" + datasetPath + "'");
  return readArray(f, datasetPath);
}

ProjectFile::Transaction& ProjectFile::Transaction::put(const std::string& groupPath, const Node& node) {
  m_ops.push_back([groupPath, node](int64_t file) {
    removeIfPresent(file, groupPath);
    writeNode(file, groupPath, node);
  });
  return *this;
}

ProjectFile::Transaction& ProjectFile::Transaction::putDataset(const std::string& datasetPath,
                                                               const Array& array) {
  m_ops.push_back([datasetPath, array](int64_t file) { writeArray(file, datasetPath, array); });
  return *this;
}

ProjectFile::Transaction& ProjectFile::Transaction::setAttributes(const std::string& groupPath,
                                                                  const Attributes& attributes) {
  m_ops.push_back([groupPath, attributes](int64_t file) {
    auto g = openOrCreateGroup(file, groupPath);
    writeAttributes(g, attributes);
  });
  return *this;
}

ProjectFile::Transaction& ProjectFile::Transaction::remove(const std::string& objectPath) {
  m_ops.push_back([objectPath](int64_t file) { removeIfPresent(file, objectPath); });
  return *this;
}

void ProjectFile::commit(const Transaction& transaction) const {
  if (transaction.empty()) return;
  atomicRewrite(m_path, Rewrite::Change, [&](hid_t file) {
    for (auto& op : transaction.m_ops) op(file);
  });
}

void ProjectFile::put(const std::string& groupPath, const Node& node) const {
  commit(Transaction().put(groupPath, node));
}

void ProjectFile::setAttributes(const std::string& groupPath, const Attributes& attributes) const {
  commit(Transaction().setAttributes(groupPath, attributes));
}

void ProjectFile::remove(const std::string& objectPath) const {
  commit(Transaction().remove(objectPath));
}

}  // namespace flatland::training
