// How the host memory of CPU tensors is allocated and given back.
//
// LibTorch takes every CPU tensor from malloc. glibc serves blocks above its mmap threshold
// (a few MiB, at most 32 MiB) with a fresh mmap and unmaps them on free, so each activation of a
// large batch is faulted in and zeroed by the kernel again, in every forward and backward pass.
// Measured with bench/hessian_bench (an 18k-parameter CNN, 1,000 images, one thread): 44% of
// the run's time was system time, 2.4 million page faults (docs/performance.md).
#pragma once

#include <cstdint>
#include <string>

namespace flatland::training {

// The memory this process may use, in bytes: the machine's, or less when a memory cgroup (v1
// memory.limit_in_bytes or v2 memory.max, as containers and batch schedulers set) allows less.
// The paths are parameters for tests.
uint64_t usableMemoryBytes(const std::string& procSelfCgroup = "/proc/self/cgroup",
                           const std::string& cgroupRoot = "/sys/fs/cgroup");
// The cgroup's limit alone (UINT64_MAX when there is none or it cannot be read).
uint64_t cgroupMemoryLimit(const std::string& procSelfCgroup, const std::string& cgroupRoot);

// Keeps freed memory in the process for reuse: large blocks come from the heap, not from mmap,
// and the heap's top is not trimmed after each free. Call once at the start of main(), before
// other threads start. With FLATLAND_MALLOC=system in the environment it changes nothing (for
// comparisons). Returns whether the settings were applied (false off glibc, too).
bool keepFreedHostMemory();

// Returns the freed memory kept so far to the system: for long-lived processes (the GUI) once a
// job has finished, so an idle window does not hold the peak of its last job.
void releaseFreedHostMemory();

}  // namespace flatland::training
