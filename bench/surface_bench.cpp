// Loss-surface cost: the time per grid point against one plain forward pass over the same
// samples, and the totals of 21×21 and 51×51 grids (cnn-small, Fashion-MNIST test set).
//
//   surface_bench [--samples 10000] [--batch-size 256] [--points 15] [--threads 0]
//                 [--device cpu] [--full-21] [--model cnn-small] [--data fashion-mnist:test]
//                 [--points-per-pass K]
//
// With K > 1 it also times K grid points per forward pass (stacked weight sets), per point, in
// the same run, and the --full-21 job uses K points per pass.
#include <ATen/Parallel.h>
#include <torch/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/loss_surface.h"
#include "flatland/training/dataset.h"
#include "flatland/training/host_memory.h"
#include "flatland/training/model.h"

using namespace flatland;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  training::keepFreedHostMemory();  // as flatland-cli does (FLATLAND_MALLOC=system: glibc's
                                    // defaults)
  int64_t samples = 10000, batchSize = 256, points = 15, pointsPerPass = 1;
  int threads = 0;
  bool full21 = false;
  std::string device = "cpu", modelName = "cnn-small", dataSpec = "fashion-mnist:test";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--samples")
      samples = std::atoll(next().c_str());
    else if (a == "--batch-size")
      batchSize = std::atoll(next().c_str());
    else if (a == "--points")
      points = std::atoll(next().c_str());
    else if (a == "--threads")
      threads = std::atoi(next().c_str());
    else if (a == "--device")
      device = next();
    else if (a == "--model")
      modelName = next();
    else if (a == "--data")
      dataSpec = next();
    else if (a == "--points-per-pass")
      pointsPerPass = std::max<int64_t>(1, std::atoll(next().c_str()));
    else if (a == "--full-21")
      full21 = true;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (threads > 0) at::set_num_threads(threads);
  const c10::Device dev(device);
  training::DataOptions dataOptions;
  dataOptions.limit = samples;
  auto data = training::loadDataset(dataSpec, dataOptions);
  auto model = training::makeZooModel(modelName, {data.sampleShape(), data.numClasses}, 0);
  model->to(dev);
  model->setTraining(false);
  auto dirs = analysis::randomDirections(*model, 2, 1);

  std::printf(
      "surface_bench: zoo:%s (%lld parameters), %s, %lld samples, batch %lld, %s, %d threads\n",
      modelName.c_str(), static_cast<long long>(model->parameterCount()), dataSpec.c_str(),
      static_cast<long long>(data.size()), static_cast<long long>(batchSize), dev.str().c_str(),
      at::get_num_threads());

  double perPoint = 0.0, forward = 0.0;
  {
    analysis::SurfaceEvaluator evaluator(*model, dirs, batchSize);
    auto prepared = evaluator.prepare(data);
    auto sync = [&] {
      if (dev.is_cuda()) prepared.inputs.sum().item<double>();
    };
    // Baseline: logits of every sample, nothing else, same batches, same mode.
    auto plainForward = [&] {
      c10::InferenceMode inference;
      for (int64_t s = 0; s < prepared.size(); s += batchSize)
        model->forward(prepared.inputs.slice(0, s, std::min(prepared.size(), s + batchSize)));
      sync();
    };
    // Warm-up, then plain passes and grid points alternate so both see the same machine load
    // (the CPU is shared); the ratio of each pair is the figure of merit.
    auto grid = analysis::GridSpec::parse("-1:1:21,-1:1:21");
    plainForward();
    evaluator.moveTo(grid.point(0));
    evaluator.evaluate(prepared);
    std::vector<double> forwardTimes, pointTimes, ratios;
    double moveSeconds = 0.0;
    for (int64_t p = 0; p < points; ++p) {
      auto t = Clock::now();
      plainForward();
      forwardTimes.push_back(since(t));
      t = Clock::now();
      evaluator.moveTo(grid.point((p * 37) % grid.points()));
      sync();
      moveSeconds += since(t);
      evaluator.evaluate(prepared);
      pointTimes.push_back(since(t));
      ratios.push_back(pointTimes.back() / forwardTimes.back());
    }
    forward = median(forwardTimes);
    perPoint = median(pointTimes);
    std::printf("\n%-44s %10s %8s\n", "", "seconds", "ratio");
    std::printf("%-44s %10.4f %8.2f\n",
                ("plain forward pass (median of " + std::to_string(points) + ")").c_str(), forward,
                1.0);
    std::printf("%-44s %10.4f %8.2f\n",
                ("grid point (median of " + std::to_string(points) + ")").c_str(), perPoint,
                perPoint / forward);
    std::printf("%-44s %10s %8.2f  (min %.2f, max %.2f)\n",
                "median of the paired ratios point/forward", "", median(ratios),
                *std::min_element(ratios.begin(), ratios.end()),
                *std::max_element(ratios.begin(), ratios.end()));
    std::printf("%-44s %10.6f %8.4f\n", "  of which setting the weights (mean)",
                moveSeconds / double(points), moveSeconds / double(points) / forward);
    if (pointsPerPass > 1 && evaluator.stacksPoints()) {
      auto chunk = [&](int64_t round) {
        std::vector<std::array<double, 3>> coordinates;
        for (int64_t k = 0; k < pointsPerPass; ++k)
          coordinates.push_back(grid.point(((round * pointsPerPass + k) * 37) % grid.points()));
        return coordinates;
      };
      evaluator.evaluateAt(chunk(0), prepared);  // warm-up
      std::vector<double> stackedTimes;
      const int64_t rounds = std::max<int64_t>(3, points / pointsPerPass);
      for (int64_t r = 1; r <= rounds; ++r) {
        auto t = Clock::now();
        evaluator.evaluateAt(chunk(r), prepared);
        sync();
        stackedTimes.push_back(since(t) / double(pointsPerPass));
      }
      const double stacked = median(stackedTimes);
      std::printf("%-44s %10.4f %8.2f  (%.2fx one point per pass)\n",
                  ("grid point, " + std::to_string(pointsPerPass) + " per pass (median of " +
                   std::to_string(rounds) + ")")
                      .c_str(),
                  stacked, stacked / forward, perPoint / stacked);
    }
  }

  std::printf("\n%-44s %10.1f\n", "21x21 grid, estimated from the median point", perPoint * 441);
  std::printf("%-44s %10.1f\n", "51x51 grid, estimated from the median point", perPoint * 2601);
  if (full21) {
    // The whole job as the CLI runs it: project file, commits every 5 s, origin evaluation.
    auto dir =
        std::filesystem::temp_directory_path() / ("surface-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
      auto project = training::ProjectFile::openOrCreate((dir / "bench.h5").string());
      analysis::SurfaceSettings settings;
      settings.grid = analysis::GridSpec::parse("-1:1:21,-1:1:21");
      settings.batchSize = batchSize;
      settings.pointsPerPass = pointsPerPass;
      auto t = Clock::now();
      auto result = analysis::computeSurface(project, *model, dirs, &data, nullptr, settings);
      const double total = since(t);
      std::printf("%-44s %10.1f %8.2f\n", "21x21 grid, measured (whole job, 441 points)", total,
                  total / 441 / forward);
      std::printf("%-44s %10.1f\n", "51x51 grid, extrapolated from the 21x21 job",
                  total / 441 * 2601);
      std::printf("(ratio column: seconds per point / plain forward; loss at origin %.4f)\n",
                  result.lossAtOrigin);
    }
    std::filesystem::remove_all(dir);
  }
  return 0;
}
