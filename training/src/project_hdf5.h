// Low-level reading and writing of project-file groups, datasets and attributes with the HDF5 C
// API. Private to training/: the public interface is ProjectFile (project_file.h).
#pragma once

#include <string>
#include <vector>

#include "flatland/training/project_file.h"
#include "hdf5_handle.h"

namespace flatland::training::detail {

// "/a/b/c" → "/a/b"; "/a" → "/".
std::string parentOf(const std::string& path);
std::string joinPath(const std::string& group, const std::string& name);
// Throws ProjectError(what + HDF5's message) when status is negative.
void check(herr_t status, const std::string& what);
bool linkExists(hid_t file, const std::string& path);
h5::Handle openOrCreateGroup(hid_t file, const std::string& path);
void removeIfPresent(hid_t file, const std::string& path);
h5::Handle stringType();
void writeAttribute(hid_t object, const std::string& name, const AttributeValue& value);
void writeAttributes(hid_t object, const Attributes& attributes);
void writeArray(hid_t file, const std::string& path, const Array& array);
void writeNode(hid_t file, const std::string& path, const Node& node);

AttributeValue readAttribute(hid_t attr, const std::string& name);
Attributes readAttributes(hid_t object);
Array readArray(hid_t file, const std::string& path);
struct ChildList {
  std::vector<std::pair<std::string, H5O_type_t>> children;
};

ChildList children(hid_t group);
Node readNode(hid_t file, const std::string& path, bool recursive);

}  // namespace flatland::training::detail
