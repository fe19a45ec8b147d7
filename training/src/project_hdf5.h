// The HDF5 layer under ProjectFile: groups, datasets and attributes of a project file read and
// written with HDF5's C API, and the file properties every project file is opened with.
// Private to flatland_training; project_file.cpp and project_commit.cpp use it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "flatland/training/project_file.h"
#include "hdf5_handle.h"

namespace flatland::training::project_hdf5 {

// Throws ProjectError with `what` and HDF5's last error when `status` is negative.
void check(herr_t status, const std::string& what);

bool linkExists(hid_t file, const std::string& path);
// "/a" + "b" → "/a/b" ("/" + "b" → "/b").
std::string joinPath(const std::string& group, const std::string& name);
// Opens the group at `path`, creating it and its missing parents.
h5::Handle openOrCreateGroup(hid_t file, const std::string& path);
void removeIfPresent(hid_t file, const std::string& path);

void writeAttributes(hid_t object, const Attributes& attributes);
void writeArray(hid_t file, const std::string& path, const Array& array);
// The node's attributes, datasets and subgroups at `path` (which must not exist yet).
void writeNode(hid_t file, const std::string& path, const Node& node);

// Throws ProjectError for an attribute or dataset of a type Flatland does not read.
Attributes readAttributes(hid_t object);
Array readArray(hid_t file, const std::string& path);

// The links of a group, in name order, with the type of the object each names.
struct ChildList {
  std::vector<std::pair<std::string, H5O_type_t>> children;
};
ChildList children(hid_t group);

Node readNode(hid_t file, const std::string& path, bool recursive);

// File creation (free-space tracking, link creation order) and access (HDF5 1.10 format)
// properties of every project file.
h5::Handle creationProperties();
h5::Handle accessProperties();
// Opens a project file with accessProperties(); throws ProjectError naming the file.
h5::Handle openFile(const std::string& path, unsigned flags);

}  // namespace flatland::training::project_hdf5
