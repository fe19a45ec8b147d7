// glibc's malloc tuned for tensors: see host_memory.h for why.
#include "flatland/training/host_memory.h"

#include <cstdlib>
#include <cstring>
#include <limits>

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

}  // namespace flatland::training
