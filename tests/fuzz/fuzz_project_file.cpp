// Fuzz target: a project file of arbitrary bytes opened and read as `flatland-cli info` and the
// GUI's tree do (every run and analysis, recursively). Every input ends in a result or a
// flatland::Error, and no HDF5 object may stay open afterwards (an open one makes HDF5 print
// "infinite loop closing library" at exit).
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "flatland/errors.h"
#include "flatland/training/project_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/tmp/flatland-fuzz-project-" + std::to_string(::getpid()) + ".h5";
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), std::streamsize(size));
  try {
    auto project = flatland::training::ProjectFile::open(path);
    project.read("/", false);
    for (const char* top : {"/runs", "/analyses"})
      for (const auto& name : project.list(top)) {
        try {
          project.read(std::string(top) + "/" + name, true);
        } catch (const flatland::Error&) {
        }
      }
  } catch (const flatland::Error&) {
  }
  std::remove(path.c_str());
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
    std::fprintf(stderr, "HDF5 objects left open after reading the project\n");
    std::abort();
  }
  return 0;
}
