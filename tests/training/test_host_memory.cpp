// The allocator settings of host_memory.h: freed tensor memory is reused instead of being
// unmapped and faulted in again on the next pass.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/types.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "flatland/training/host_memory.h"

using namespace flatland;

namespace {

long minorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Page faults of four passes that each make and drop two 64 MiB temporaries, as every
// forward/backward pass does with its activations (2 × 16,384 pages of 4 KiB per pass).
long faultsOfFourPasses(const at::Tensor& x) {
  const long before = minorFaults();
  for (int pass = 0; pass < 4; ++pass) {
    auto y = (x * 2.0f).relu_();
    EXPECT_EQ(y.numel(), x.numel());
  }
  return minorFaults() - before;
}

bool hugePagesAlways() {
  std::ifstream setting("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text((std::istreambuf_iterator<char>(setting)), std::istreambuf_iterator<char>());
  return text.find("[always]") != std::string::npos;
}

}  // namespace

TEST(HostMemory, FreedTensorMemoryIsReusedInsteadOfFaultedInAgain) {
  const auto x = torch::randn({16 << 20});
  setenv("FLATLAND_MALLOC", "system", 1);
  EXPECT_FALSE(training::keepFreedHostMemory()) << "FLATLAND_MALLOC=system keeps glibc's defaults";
  unsetenv("FLATLAND_MALLOC");
  faultsOfFourPasses(x);
  const long systemFaults = faultsOfFourPasses(x);
  // glibc's default: each temporary is a fresh mmap, faulted in page by page (where transparent
  // huge pages are always on, in 2 MiB pages and far fewer faults).
  if (!hugePagesAlways()) {
    EXPECT_GT(systemFaults, 4 * 16384);
  }
#if defined(__GLIBC__)
  ASSERT_TRUE(training::keepFreedHostMemory());
  faultsOfFourPasses(x);  // grows the heap once
  const long keptFaults = faultsOfFourPasses(x);
  EXPECT_LT(keptFaults, systemFaults / 4) << systemFaults << " faults with glibc's defaults";
#endif
  training::releaseFreedHostMemory();
}
