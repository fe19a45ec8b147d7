// The allocator settings of host_memory.h: freed tensor memory is reused instead of being
// unmapped and faulted in again on the next pass.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/types.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
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
  // The heap grows in the first passes (where a temporary lands depends on what the process
  // allocated before): the fewest faults of three rounds after it are what a long job sees.
  faultsOfFourPasses(x);
  long keptFaults = faultsOfFourPasses(x);
  for (int round = 0; round < 2; ++round) keptFaults = std::min(keptFaults, faultsOfFourPasses(x));
  EXPECT_LT(keptFaults, systemFaults / 4) << systemFaults << " faults with glibc's defaults";
#endif
  training::releaseFreedHostMemory();
}

// A memory cgroup's limit, read as the kernel lays it out: v1 (a memory controller line, limits
// on the group and its parents) and v2 (one line "0::PATH", memory.max, "max" for none).
TEST(HostMemory, UsableMemoryHonoursTheCgroupLimit) {
  const auto root =
      std::filesystem::temp_directory_path() / ("flatland-cgroup-" + std::to_string(::getpid()));
  const auto write = [](const std::filesystem::path& file, const std::string& text) {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
  };
  // v1: the job's group allows 3 GiB, its parent 2 GiB: the parent's limit applies.
  write(root / "v1/self", "12:cpu,cpuacct:/job\n4:memory:/batch/job\n");
  write(root / "v1/fs/memory/batch/job/memory.limit_in_bytes", "3221225472\n");
  write(root / "v1/fs/memory/batch/memory.limit_in_bytes", "2147483648\n");
  EXPECT_EQ(training::cgroupMemoryLimit((root / "v1/self").string(), (root / "v1/fs").string()),
            2147483648ull);
  // v2: "max" is no limit; a number is.
  write(root / "v2/self", "0::/user.slice/job\n");
  write(root / "v2/fs/user.slice/job/memory.max", "max\n");
  EXPECT_EQ(training::cgroupMemoryLimit((root / "v2/self").string(), (root / "v2/fs").string()),
            UINT64_MAX);
  write(root / "v2/fs/user.slice/job/memory.max", "1073741824\n");
  EXPECT_EQ(training::cgroupMemoryLimit((root / "v2/self").string(), (root / "v2/fs").string()),
            1073741824ull);
  EXPECT_EQ(training::usableMemoryBytes((root / "v2/self").string(), (root / "v2/fs").string()),
            1073741824ull);
  // No cgroup file at all: the machine's memory.
  EXPECT_GT(training::usableMemoryBytes((root / "none").string(), (root / "none").string()),
            uint64_t(1) << 28);
  std::filesystem::remove_all(root);
}
