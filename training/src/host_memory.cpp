// glibc's malloc tuned for tensors: see host_memory.h for why.
#include "flatland/training/host_memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace flatland::training {

bool keepFreedHostMemory() {
  const char* choice = std::getenv("FLATLAND_MALLOC");
  if (choice && std::strcmp(choice, "system") == 0) return false;
#if defined(__GLIBC__)
  // No mmap'd blocks: a freed activation goes back to the heap and the next pass reuses it.
  // No automatic trim: otherwise the heap's top is returned (and faulted in again) per pass.
  // Threads other than the main one still fall back to mmap for blocks larger than their
  // arena's 64 MiB heaps, which glibc does regardless of these settings.
  const bool noMmap = mallopt(M_MMAP_MAX, 0) == 1;
  const bool noTrim = mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max()) == 1;
  return noMmap && noTrim;
#else
  return false;
#endif
}

void releaseFreedHostMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

uint64_t cgroupMemoryLimit(const std::string& procSelfCgroup, const std::string& cgroupRoot) {
  constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  std::ifstream lines(procSelfCgroup);
  std::string line;
  uint64_t limit = kNone;
  // Lines "ID:CONTROLLERS:PATH": v1 has one naming the memory controller, v2 one with ID 0 and
  // no controllers. A limit of the group or of any group above it applies.
  while (std::getline(lines, line)) {
    const auto first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    std::string base, file;
    bool v1 = false;
    std::stringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) v1 = v1 || name == "memory";
    if (v1)
      base = cgroupRoot + "/memory", file = "memory.limit_in_bytes";
    else if (controllers.empty() && line.compare(0, 2, "0:") == 0)
      base = cgroupRoot, file = "memory.max";
    else
      continue;
    while (true) {
      std::ifstream value(base + path + "/" + file);
      std::string text;
      if (value >> text && text != "max") {
        char* end = nullptr;
        const unsigned long long bytes = std::strtoull(text.c_str(), &end, 10);
        if (end && *end == '\0' && bytes > 0) limit = std::min<uint64_t>(limit, bytes);
      }
      const auto slash = path.rfind('/');
      if (path.empty() || path == "/" || slash == std::string::npos) break;
      path = path.substr(0, slash);
    }
  }
  return limit;
}

uint64_t usableMemoryBytes(const std::string& procSelfCgroup, const std::string& cgroupRoot) {
  const long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
  const uint64_t machine = pages > 0 && pageSize > 0 ? uint64_t(pages) * uint64_t(pageSize)
                                                     : std::numeric_limits<uint64_t>::max();
  return std::min(machine, cgroupMemoryLimit(procSelfCgroup, cgroupRoot));
}

}  // namespace flatland::training
