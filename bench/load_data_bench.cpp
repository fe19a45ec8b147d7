// Loading Fashion-MNIST (train: 60,000 images, test: 10,000) with the project's loader, against
// only decompressing the same .gz files (the baseline: reading them costs at least that).
//
//   load_data_bench [--repeats 5] [--threads 1] [--data-dir DIR] [--splits train,test]
//
// Per split and step it prints the median and the fastest of the repeats, wall and process CPU
// time, and the ratio of the medians to the baseline's. The steps:
//   gunzip          gzread of the images and labels files into memory (zlib only)
//   readIdxPair     the IDX reader: gunzip, check the headers, bytes → float32 tensors in [0, 1]
//   loadDataset     what every command does for fashion-mnist:SPLIT: the above plus normalising
#include <ATen/Parallel.h>
#include <zlib.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "flatland/training/dataset.h"
#include "flatland/training/specs.h"

using namespace flatland;
using Clock = std::chrono::steady_clock;

namespace {

double cpuNow() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double peakMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return -1.0;
}

// The whole decompressed content of a .gz file (what the IDX reader starts from).
size_t gunzipBytes(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::exit(1);
  }
  gzbuffer(file, 1 << 20);
  std::vector<unsigned char> out;
  std::vector<unsigned char> chunk(1 << 20);
  int n = 0;
  while ((n = gzread(file, chunk.data(), unsigned(chunk.size()))) > 0)
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  gzclose(file);
  return out.size();
}

struct Times {
  std::vector<double> wall, cpu;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double fastest(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

Times repeat(int repeats, const std::function<void()>& step) {
  Times t;
  for (int r = 0; r < repeats; ++r) {
    const auto wall = Clock::now();
    const double cpu = cpuNow();
    step();
    t.wall.push_back(std::chrono::duration<double>(Clock::now() - wall).count());
    t.cpu.push_back(cpuNow() - cpu);
  }
  return t;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 5, threads = 1;
  std::string dataDir;
  std::vector<std::string> splits = {"train", "test"};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--repeats")
      repeats = std::max(1, std::atoi(next().c_str()));
    else if (a == "--threads")
      threads = std::atoi(next().c_str());
    else if (a == "--data-dir")
      dataDir = next();
    else if (a == "--splits")
      splits = split(next());
    else {
      std::fprintf(stderr,
                   "usage: load_data_bench [--repeats 5] [--threads 1] [--data-dir DIR] "
                   "[--splits train,test]\n");
      return 2;
    }
  }
  if (threads > 0) at::set_num_threads(threads);
  namespace fs = std::filesystem;
  const fs::path dir =
      dataDir.empty() ? fs::path(training::defaultFashionMnistDir()) : fs::path(dataDir);
  std::printf("Fashion-MNIST from %s, %d repeats, %d intra-op thread(s)\n\n", dir.c_str(), repeats,
              at::get_num_threads());
  std::printf(
      "| split | step | samples | on disk (MB) | in memory (MB) | median wall s | fastest wall s "
      "| median CPU s | wall / gunzip |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const std::string& which : splits) {
    const std::string prefix = which == "train" ? "train" : "t10k";
    const std::string images = (dir / (prefix + "-images-idx3-ubyte.gz")).string();
    const std::string labels = (dir / (prefix + "-labels-idx1-ubyte.gz")).string();
    if (!fs::exists(images) || !fs::exists(labels)) {
      std::fprintf(stderr, "%s or %s is missing (install dataset-fashion-mnist)\n", images.c_str(),
                   labels.c_str());
      return 1;
    }
    const double diskMB = double(fs::file_size(images) + fs::file_size(labels)) / 1e6;
    training::DataOptions options;
    if (!dataDir.empty()) options.dataDir = dataDir;

    size_t rawBytes = 0;
    int64_t samples = 0;
    double tensorMB = 0.0;
    const Times gunzip =
        repeat(repeats, [&] { rawBytes = gunzipBytes(images) + gunzipBytes(labels); });
    const Times idx = repeat(repeats, [&] {
      auto data = training::readIdxPair(images, labels);
      samples = data.size();
    });
    const Times load = repeat(repeats, [&] {
      auto data = training::loadDataset("fashion-mnist:" + which, options);
      samples = data.size();
      tensorMB = double(data.inputs.nbytes() + data.labels.nbytes()) / 1e6;
    });
    const double base = median(gunzip.wall);
    const auto row = [&](const char* step, const Times& t, double memoryMB) {
      std::printf("| %s | %s | %lld | %.1f | %.1f | %.3f | %.3f | %.3f | %.2f |\n", which.c_str(),
                  step, static_cast<long long>(samples), diskMB, memoryMB, median(t.wall),
                  fastest(t.wall), median(t.cpu), median(t.wall) / base);
    };
    row("gunzip", gunzip, double(rawBytes) / 1e6);
    row("readIdxPair", idx, tensorMB);
    row("loadDataset", load, tensorMB);
  }
  std::printf("\npeak resident memory (VmHWM) %.0f MiB\n", peakMiB());
  return 0;
}
