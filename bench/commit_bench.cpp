// What a commit costs as a project grows: the time of one surface block's commit (a 21 x 21 loss
// grid and its attributes, as analysis/surface_storage.cpp writes them) into a project that
// already holds S bytes of checkpoints, against the same commit into an empty project, measured
// in the same run (median of 7). Split projects (the default) and single-file ones (pack's output,
// and every project before the split layout) side by side.
//
//   commit_bench [--dir DIR] [--sizes 10M,1G,5G] [--single-up-to 1G]
//
// Checkpoints are 45 MB each (a ResNet-18's 11.7M float32 parameters; smaller when S is) of
// random values, so compression cannot shrink them. Needs about the largest S of free disk.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/host_memory.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_packing.h"

using namespace flatland::training;
namespace fs = std::filesystem;

namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int64_t parseSize(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const std::string unit = end ? end : "";
  const double scale = unit == "G" ? 1e9 : unit == "M" ? 1e6 : unit == "K" ? 1e3 : 1.0;
  return int64_t(value * scale);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    out.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// User + system CPU seconds of this process so far.
double cpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}
double g_checkpointCpu = 0.0;  // CPU seconds of all checkpoint commits, and their number
int g_checkpoints = 0;

// Checkpoints adding up to `bytes`, committed one per epoch as training does.
double fill(const ProjectFile& project, int64_t bytes) {
  constexpr int64_t kCheckpointBytes = 45'000'000;
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  double committing = 0.0;  // the commits alone, not the making of random weights
  int epoch = 0;
  for (int64_t left = bytes; left > 0; left -= kCheckpointBytes) {
    std::vector<float> w(size_t(std::min(left, kCheckpointBytes) / 4));
    for (auto& x : w) x = uniform(gen);
    Node checkpoint;
    checkpoint.groups["parameters"].datasets["weight"] = Array::f32(std::move(w));
    char name[64];
    std::snprintf(name, sizeof name, "/runs/big/checkpoints/epoch_%04d", ++epoch);
    const auto start = std::chrono::steady_clock::now();
    const double cpuStart = cpuSeconds();
    project.commit(ProjectFile::Transaction()
                       .put(name, checkpoint)
                       .setAttributes("/runs/big", {{"epochs_done", int64_t(epoch)}}));
    committing += seconds(std::chrono::steady_clock::now() - start);
    g_checkpointCpu += cpuSeconds() - cpuStart;
    ++g_checkpoints;
  }
  return committing / std::max(epoch, 1);
}

// The median of seven commits of a surface block, after one that is not counted (the first
// commit of a process into a split project also sweeps its folder).
double surfaceCommit(const ProjectFile& project) {
  std::vector<double> times;
  std::vector<double> grid(21 * 21);
  for (int i = 0; i < 8; ++i) {
    for (size_t k = 0; k < grid.size(); ++k) grid[k] = double(k + i);
    const auto start = std::chrono::steady_clock::now();
    project.commit(ProjectFile::Transaction()
                       .putDataset("/analyses/surface/train_loss", Array::f64(grid, {21, 21}))
                       .setAttributes("/analyses/surface", {{"points_done", int64_t(i)}}));
    if (i > 0) times.push_back(seconds(std::chrono::steady_clock::now() - start));
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

uintmax_t bytesOnDisk(const std::string& index) {
  uintmax_t total = fs::file_size(index);
  const fs::path folder = fs::path(index).replace_extension(".flatland");
  if (fs::exists(folder))
    for (auto& entry : fs::directory_iterator(folder)) total += entry.file_size();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = fs::temp_directory_path() / "flatland-commit-bench";
  std::string sizes = "10M,1G,5G";
  int64_t singleUpTo = parseSize("1G");
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--sizes") sizes = argv[i + 1];
    if (flag == "--single-up-to") singleUpTo = parseSize(argv[i + 1]);
  }
  // As flatland-cli and the GUI do (FLATLAND_MALLOC=system: glibc's defaults).
  flatland::training::keepFreedHostMemory();
  try {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string emptyPath = dir + "/empty.h5";
    const double empty = surfaceCommit(ProjectFile::openOrCreate(emptyPath));
    const std::string emptySinglePath = dir + "/empty-single.h5";
    const double emptySingle =
        surfaceCommit(ProjectFile::openOrCreate(emptySinglePath, ProjectLayout::Single));

    std::printf("%-10s %-7s %14s %14s %12s %16s\n", "project", "layout", "on disk (MB)",
                "commit (ms)", "x empty", "checkpoint (s)");
    std::printf("%-10s %-7s %14.1f %14.2f %12.2f %16s\n", "empty", "split",
                bytesOnDisk(emptyPath) / 1e6, empty * 1e3, 1.0, "-");
    std::printf("%-10s %-7s %14.1f %14.2f %12.2f %16s\n", "empty", "single",
                bytesOnDisk(emptySinglePath) / 1e6, emptySingle * 1e3, 1.0, "-");
    for (const auto& text : split(sizes)) {
      const int64_t bytes = parseSize(text);
      const std::string path = dir + "/p" + text + ".h5";
      const auto project = ProjectFile::openOrCreate(path);
      const double perCheckpoint = fill(project, bytes);
      const double t = surfaceCommit(project);
      std::printf("%-10s %-7s %14.1f %14.2f %12.2f %16.2f\n", text.c_str(), "split",
                  bytesOnDisk(path) / 1e6, t * 1e3, t / empty, perCheckpoint);
      std::fflush(stdout);
      if (bytes <= singleUpTo) {
        const std::string packed = dir + "/p" + text + "-single.h5";
        packProject(path, packed);
        const double ts = surfaceCommit(ProjectFile::open(packed));
        std::printf("%-10s %-7s %14.1f %14.2f %12.2f %16s\n", text.c_str(), "single",
                    bytesOnDisk(packed) / 1e6, ts * 1e3, ts / emptySingle, "-");
        fs::remove(packed);
      }
      fs::remove_all(fs::path(path).replace_extension(".flatland"));
      fs::remove(path);
      std::fflush(stdout);
    }
    fs::remove_all(dir);
    if (g_checkpoints > 0)
      std::printf("checkpoint commits: %d, %.3f CPU s each (user + system)\n", g_checkpoints,
                  g_checkpointCpu / g_checkpoints);
  } catch (const flatland::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
