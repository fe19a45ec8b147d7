#include "flatland/training/project_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
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
  if (it == datasets.end())
    throw ProjectError("the project file has no dataset '" + name + "' here");
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
  for (char c : name)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') ? c : '_';
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
  if (!g.valid())
    throw ProjectError("cannot create group '" + path + "': " + h5::lastErrorMessage());
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
    if (!a.valid())
      throw ProjectError("cannot write attribute '" + name + "': " + h5::lastErrorMessage());
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
          check(H5Awrite(create(H5T_NATIVE_INT64, space), H5T_NATIVE_INT64, &v),
                "attribute " + name);
        } else if constexpr (std::is_same_v<T, double>) {
          auto space = h5::dataspace(H5Screate(H5S_SCALAR));
          check(H5Awrite(create(H5T_NATIVE_DOUBLE, space), H5T_NATIVE_DOUBLE, &v),
                "attribute " + name);
        } else if constexpr (std::is_same_v<T, std::string>) {
          auto space = h5::dataspace(H5Screate(H5S_SCALAR));
          auto type = stringType();
          const char* p = v.c_str();
          check(H5Awrite(create(type, space), type, &p), "attribute " + name);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          auto space = vectorSpace(v.size());
          check(H5Awrite(create(H5T_NATIVE_INT64, space), H5T_NATIVE_INT64, v.data()),
                "attribute " + name);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          auto space = vectorSpace(v.size());
          check(H5Awrite(create(H5T_NATIVE_DOUBLE, space), H5T_NATIVE_DOUBLE, v.data()),
                "attribute " + name);
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
  auto space =
      h5::dataspace(dims.empty() ? H5Screate(H5S_SCALAR)
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
        auto dset =
            h5::dataset(H5Dcreate2(file, path.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT));
        if (!dset.valid())
          throw ProjectError("cannot create dataset '" + path + "': " + h5::lastErrorMessage());
        check(H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
              "cannot write dataset '" + path + "'");
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

// The HDF5 path of an object, or of the file holding it (for messages).
std::string objectName(hid_t object) {
  const ssize_t size = H5Iget_name(object, nullptr, 0);
  if (size <= 0) return "?";
  std::string name(size_t(size), '\0');
  H5Iget_name(object, name.data(), size_t(size) + 1);
  return name;
}
std::string fileName(hid_t object) {
  const ssize_t size = H5Fget_name(object, nullptr, 0);
  if (size <= 0) return "?";
  std::string name(size_t(size), '\0');
  H5Fget_name(object, name.data(), size_t(size) + 1);
  return name;
}

AttributeValue readAttribute(hid_t object, hid_t attr, const std::string& name) {
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
      // Compound, enum, reference, …: written by another tool; a made-up value would pass for data.
      throw ProjectError("attribute '" + name + "' of " + objectName(object) + " in " +
                         fileName(object) + " has a type Flatland does not read");
  }
}

Attributes readAttributes(hid_t object) {
  Attributes out;
  H5O_info_t info;
  check(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), "cannot inspect object");
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    auto attr = h5::attribute(
        H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT, H5P_DEFAULT));
    ssize_t len = H5Aget_name(attr, 0, nullptr);
    std::string name(len, '\0');
    H5Aget_name(attr, len + 1, name.data());
    out[name] = readAttribute(object, attr, name);
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
    check(H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
          "cannot read " + path);
    array.values = std::move(v);
  } else if (cls == H5T_FLOAT && H5Tget_size(type) <= 4) {
    std::vector<float> v(n);
    check(H5Dread(dset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
          "cannot read " + path);
    array.values = std::move(v);
  } else if (cls == H5T_FLOAT) {
    std::vector<double> v(n);
    check(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()),
          "cannot read " + path);
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
  if (!g.valid()) {
    if (linkExists(file, path))
      throw ProjectError("'" + path + "' in the project file is not a group");
    throw ProjectError("the project file has no group '" + path + "'");
  }
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
  if (!f.valid())
    throw ProjectError("cannot open project file " + path + ": " + h5::lastErrorMessage());
  return f;
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

constexpr const char* kTemporaryMarker = ".tmp-";

std::string temporaryNameFor(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() /
          ("." + p.filename().string() + kTemporaryMarker + std::to_string(::getpid())))
      .string();
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
    std::vector<char> image;
    ImageCapture capture;
    {
      h5::Handle file;
      if (copyExisting) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) permissions = st.st_mode & 07777;
        std::vector<char> old = readWholeFile(path);
        if (old.empty()) throw ProjectError(path + " is empty: it is not a Flatland project");
        auto fapl = inMemoryAccess(capture, &old);
        old = std::vector<char>();  // the access list holds a copy
        file = h5::file(H5Fopen(tmp.c_str(), H5F_ACC_RDWR, fapl));
        if (!file.valid()) throw ProjectError("HDF5 cannot open it: " + h5::lastErrorMessage());
      } else {
        auto fcpl = creationProperties();
        auto fapl = inMemoryAccess(capture, nullptr);
        file = h5::file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl, fapl));
        if (!file.valid()) throw ProjectError("HDF5 cannot create it: " + h5::lastErrorMessage());
      }
      change(file);
      if (H5Fclose(file.release()) < 0)
        throw ProjectError("cannot finish the changes to the project file: " +
                           h5::lastErrorMessage());
    }
    image = closedImage(capture);
    writeFileDurably(tmp, image, permissions);
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      const std::string why = errnoText();
      fs::remove(tmp, ec);
      throw ProjectError(why + " (while trying to rename the new copy over " + path + ")");
    }
    // The new file is in place: a failure to flush the directory entry cannot undo that, so the
    // commit stands (it is durable on every file system that matters once the rename returns).
    try {
      fsyncPath(fs::absolute(path).parent_path().string(), true);
    } catch (const ProjectError&) {
    }
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
    writeAttributes(root, {{schema::kFormat, std::string(kProjectFormat)},
                           {schema::kVersion, kProjectVersion},
                           {schema::kCreated, isoTimestampUtc()},
                           {schema::kFlatlandVersion, std::string(FLATLAND_VERSION)}});
    openOrCreateGroup(file, schema::kRunsPath);
    openOrCreateGroup(file, schema::kAnalysesPath);
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
  if (!linkExists(f, groupPath)) throw ProjectError(m_path + " has no group '" + groupPath + "'");
  return readNode(f, groupPath, recursive);
}

Array ProjectFile::readDataset(const std::string& datasetPath) const {
  h5::QuietErrors quiet;
  auto f = openFile(m_path, H5F_ACC_RDONLY);
  if (!linkExists(f, datasetPath))
    throw ProjectError(m_path + " has no dataset '" + datasetPath + "'");
  return readArray(f, datasetPath);
}

ProjectFile::Transaction& ProjectFile::Transaction::put(const std::string& groupPath,
                                                        const Node& node) {
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
