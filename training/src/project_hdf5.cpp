// Groups, datasets and attributes of a project file through HDF5's C API (project_hdf5.h).
#include "project_hdf5.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"
#include "hdf5_storage_check.h"

namespace flatland::training::project_hdf5 {

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
  // Large float64 and int64 arrays (metrics, grids, masks) are chunked and compressed; small ones
  // stay contiguous (cheaper to read). float32 arrays (weights, directions) are stored as they
  // are: shuffle + deflate saves only ~15 % on them at ~45x the write time (a 45 MB checkpoint:
  // 2.9 s against 0.06 s), which made checkpoints the slowest part of a training epoch.
  auto dcpl = h5::plist(H5Pcreate(H5P_DATASET_CREATE));
  const bool weights = std::holds_alternative<std::vector<float>>(array.values);
  if (array.size() >= 4096 && !dims.empty() && !weights) {
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

// The number of values a dataspace holds, checked against the file before anything is allocated:
// a damaged header can claim any count. Stored values take their size in the file; compressed
// ones at most deflate's ratio (~1032:1) more.
size_t plausibleCount(hid_t object, hid_t space, size_t elementSize, bool compressed,
                      const std::string& what) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) throw ProjectError("cannot read the shape of " + what + " (a damaged file?)");
  hsize_t fileSize = 0;
  {
    auto file = h5::file(H5Iget_file_id(object));
    if (!file.valid() || H5Fget_filesize(file, &fileSize) < 0)
      throw ProjectError("cannot read the size of the file holding " + what);
  }
  const uint64_t limit = compressed ? uint64_t(fileSize) * 1100 + 4096 : uint64_t(fileSize);
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(uint64_t(n), uint64_t(std::max<size_t>(elementSize, 1)), &bytes) ||
      bytes > limit)
    throw ProjectError(what + " claims " + std::to_string(n) + " values, more than its file of " +
                       std::to_string(fileSize) + " bytes can hold (a damaged file?)");
  return size_t(n);
}

AttributeValue readAttribute(hid_t object, hid_t attr, const std::string& name) {
  auto type = h5::datatype(H5Aget_type(attr));
  auto space = h5::dataspace(H5Aget_space(attr));
  if (!type.valid() || !space.valid())
    throw ProjectError("cannot read attribute '" + name + "' (a damaged file?)");
  const size_t n = plausibleCount(attr, space, std::max<size_t>(H5Tget_size(type), 1), false,
                                  "attribute '" + name + "'");
  const bool scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR;
  if (scalar && n != 1) throw ProjectError("attribute '" + name + "' is damaged");
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
        for (size_t i = 0; i < n; ++i) {
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
    const ssize_t len = attr.valid() ? H5Aget_name(attr, 0, nullptr) : -1;
    if (len < 0)
      throw ProjectError("cannot read attribute " + std::to_string(i) + " of " +
                         objectName(object) + " in " + fileName(object) + " (a damaged file?)");
    std::string name(size_t(len), '\0');
    H5Aget_name(attr, len + 1, name.data());
    out[name] = readAttribute(object, attr, name);
  }
  return out;
}

Array readArray(hid_t file, const std::string& path) {
  auto dset = h5::dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT));
  if (!dset.valid()) throw ProjectError("the project file has no dataset '" + path + "'");
  auto space = h5::dataspace(H5Dget_space(dset));
  const int rank = space.valid() ? H5Sget_simple_extent_ndims(space) : -1;
  if (rank < 0) throw ProjectError("cannot read the shape of '" + path + "' (a damaged file?)");
  std::vector<hsize_t> dims(size_t(rank), 0);
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  Array array;
  array.shape.assign(dims.begin(), dims.end());
  auto type = h5::datatype(H5Dget_type(dset));
  const auto cls = H5Tget_class(type);
  bool compressed = false;
  {
    auto dcpl = h5::plist(H5Dget_create_plist(dset));
    compressed = !dcpl.valid() || H5Pget_nfilters(dcpl) != 0;
  }
  // Read as int64 or double (float32 stays float32): 8 bytes a value at most.
  const size_t n = plausibleCount(dset, space, std::min<size_t>(H5Tget_size(type), 8), compressed,
                                  "dataset '" + path + "'");
  if (const auto problem = storageProblem(dset, array.shape, H5Tget_size(type)); !problem.empty())
    throw ProjectError("dataset '" + path + "' " + problem);
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

herr_t collectChild(hid_t group, const char* name, const H5L_info_t* link, void* data) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0)
    static_cast<ChildList*>(data)->children.emplace_back(name, info.type);
  else if (link && link->type == H5L_TYPE_EXTERNAL)  // a part of a split project that is gone
    static_cast<ChildList*>(data)->children.emplace_back(name, H5O_TYPE_UNKNOWN);
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
    H5L_info_t link;
    if (linkExists(file, path) && H5Lget_info(file, path.c_str(), &link, H5P_DEFAULT) >= 0 &&
        link.type == H5L_TYPE_EXTERNAL)
      throw ProjectError("'" + path +
                         "' is stored in a file of the project's folder that cannot be opened (" +
                         h5::lastErrorMessage() +
                         "; is it missing, or held open for writing by another program?)");
    if (linkExists(file, path))
      throw ProjectError("'" + path + "' in the project file is not a group");
    throw ProjectError("the project file has no group '" + path + "'");
  }
  Node node;
  try {
    node.attributes = readAttributes(g);
  } catch (const ProjectError& e) {
    // In a part of a split project HDF5 names the object as the part's root: say where it is.
    if (objectName(g) == path) throw;
    throw ProjectError(std::string(e.what()) + " (" + path + " of " + fileName(file) + ")");
  }
  for (auto& [name, type] : children(g).children) {
    const std::string child = joinPath(path, name);
    if (type == H5O_TYPE_GROUP) {
      node.groups[name] = recursive ? readNode(file, child, true) : Node{};
    } else if (type == H5O_TYPE_DATASET) {
      node.datasets[name] = recursive ? readArray(file, child) : Array{};
    } else if (type == H5O_TYPE_UNKNOWN) {
      throw ProjectError("'" + child +
                         "' is stored in a file of the project's folder that is missing (a "
                         "split project is NAME.h5 with its folder NAME.flatland beside it: copy "
                         "both, or send one file made by `flatland-cli pack`)");
    }
  }
  return node;
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

}  // namespace flatland::training::project_hdf5
