// Hessian engine cost (default: cnn-small on Fashion-MNIST): one gradient vs one HVP (cached and
// streamed), top-1 and top-5 eigenvalues by Lanczos vs power iteration (PyHessian's method and
// defaults), trace and density times, peak memory.
//
//   hessian_bench [--samples 1000,10000] [--threads 1] [--timing-only] [--train-steps 300]
//                 [--batch-size 1000] [--data fashion-mnist:test|random-cifar] [--no-power5]
//                 [--model cnn-small|resnet20|vit-tiny|...|FILE.pt] [--device cpu|cuda]
//
// Every product is also timed against a plain HVP, PyTorch's (and PyHessian's) recipe
// re-implemented with LibTorch in the same process: forward over the whole batch, backward with
// create_graph, then the double backward of g·v. A FILE.pt model (TorchScript) is used as saved,
// not trained (--train-steps is ignored for it).
//
// The plain HVP is timed twice: first with glibc's default malloc (as PyTorch runs), then, like
// everything after it, with the allocator settings flatland-cli and the GUI use
// (training::keepFreedHostMemory).
//
// random-cifar: normal 3×32×32 images with random labels (CIFAR-10's sizes, no download); the
// model is then not trained first (--train-steps applies to Fashion-MNIST only).
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/cuda.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "flatland/analysis/density.h"
#include "flatland/analysis/hessian_operator.h"
#include "flatland/analysis/lanczos.h"
#include "flatland/analysis/trace_estimator.h"
#include "flatland/training/dataset.h"
#include "flatland/training/device.h"
#include "flatland/training/host_memory.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::analysis;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the whole process (all threads). With one intra-op thread it is the compute time,
// robust to other jobs sharing the machine, which wall time is not.
double cpuNow() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

struct Timer {
  Clock::time_point wall = Clock::now();
  double cpu = cpuNow();
  double wallSeconds() const { return since(wall); }
  double cpuSeconds() const { return cpuNow() - cpu; }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Peak resident memory of the process so far (VmHWM), in MiB.
double peakMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return NAN;
}
double currentMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  return NAN;
}

std::vector<int64_t> parseList(const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) out.push_back(std::atoll(item.c_str()));
  return out;
}

// A few SGD steps on training data so the spectrum is that of a model that has learnt something
// (an untrained network's Hessian is nearly all bulk).
void quickTrain(training::Model& model, int64_t steps) {
  if (steps <= 0) return;
  training::DataOptions options;
  options.limit = 20000;
  auto train = training::loadDataset("fashion-mnist:train", options);
  model.setTraining(true);
  torch::optim::SGD sgd(model.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  const int64_t batch = 64;
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t start = (step * batch) % (train.size() - batch);
    auto x = train.inputs.slice(0, start, start + batch);
    auto y = train.labels.slice(0, start, start + batch);
    sgd.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model.forward(x), y);
    loss.backward();
    sgd.step();
  }
  model.setTraining(false);
}

// One pass over the data, batch by batch: with `v` null, the full-data gradient (what a training
// epoch's backward costs); with `v`, PyTorch's HVP as PyHessian computes it (forward, backward
// with graph, double backward of g·v), the baseline every Flatland product is compared with.
std::pair<double, double> fullDataSeconds(training::Model& model, const training::Dataset& data,
                                          int64_t batchSize,
                                          const std::vector<at::Tensor>* v = nullptr) {
  auto params = model.parameters();
  Timer timer;
  std::vector<at::Tensor> total;
  for (int64_t b = 0; b < data.size(); b += batchSize) {
    const int64_t e = std::min(data.size(), b + batchSize);
    auto loss = torch::nn::functional::cross_entropy(
        model.forward(data.inputs.slice(0, b, e).to(model.device())),
        data.labels.slice(0, b, e).to(model.device()));
    auto part = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/v != nullptr,
                                      /*create_graph=*/v != nullptr);
    if (v) part = torch::autograd::grad(part, params, *v);
    const double weight = double(e - b) / double(data.size());
    if (total.empty())
      for (auto& t : part) total.push_back(t * weight);
    else
      for (size_t i = 0; i < part.size(); ++i) total[i].add_(part[i], weight);
  }
  if (model.device().is_cuda()) torch::cuda::synchronize();
  return {timer.wallSeconds(), timer.cpuSeconds()};
}

// CIFAR-10-sized inputs without the download: normal images, uniformly random labels.
training::Dataset randomImages(int64_t n) {
  torch::manual_seed(1);
  training::Dataset data;
  data.inputs = torch::randn({n, 3, 32, 32});
  data.labels = torch::randint(0, 10, {n}, torch::kInt64);
  data.numClasses = 10;
  data.spec = "random-cifar";
  for (int c = 0; c < 10; ++c) data.classNames.push_back(std::to_string(c));
  return data;
}

double relDiff(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

std::string values(const std::vector<double>& v) {
  std::string s;
  char buffer[32];
  for (double x : v) {
    std::snprintf(buffer, sizeof buffer, "%s%.5g", s.empty() ? "" : " ", x);
    s += buffer;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int64_t> sampleSizes = {1000, 10000};
  int threads = 1;
  bool timingOnly = false, power5 = true;
  int64_t trainSteps = 300, batchSize = 1000;
  std::string dataSpec = "fashion-mnist:test", modelName = "cnn-small", deviceName = "cpu";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--samples")
      sampleSizes = parseList(next());
    else if (a == "--threads")
      threads = std::atoi(next().c_str());
    else if (a == "--timing-only")
      timingOnly = true;
    else if (a == "--no-power5")
      power5 = false;
    else if (a == "--train-steps")
      trainSteps = std::atoll(next().c_str());
    else if (a == "--batch-size")
      batchSize = std::atoll(next().c_str());
    else if (a == "--data")
      dataSpec = next();
    else if (a == "--model")
      modelName = next();
    else if (a == "--device")
      deviceName = next();
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (threads > 0) at::set_num_threads(threads);
  torch::manual_seed(0);
  const bool randomCifar = dataSpec == "random-cifar";
  if (randomCifar) trainSteps = 0;
  const training::ModelShape shape =
      randomCifar ? training::ModelShape{{3, 32, 32}, 10} : training::ModelShape{{1, 28, 28}, 10};
  const bool scripted = modelName.size() > 3 && modelName.substr(modelName.size() - 3) == ".pt";
  if (scripted) trainSteps = 0;
  auto model = scripted ? training::loadTorchScriptModel(modelName)
                        : training::makeZooModel(modelName, shape, 0);
  quickTrain(*model, trainSteps);
  const auto device = training::parseDevice(deviceName);
  model->to(device);
  std::printf(
      "hessian_bench: %s%s (%lld parameters, %lld SGD steps), %s, float32, %s, "
      "%d intra-op threads, batch %lld\n",
      scripted ? "" : "zoo:", modelName.c_str(), static_cast<long long>(model->parameterCount()),
      static_cast<long long>(trainSteps), dataSpec.c_str(), device.str().c_str(),
      at::get_num_threads(), static_cast<long long>(batchSize));

  for (int64_t n : sampleSizes) {
    training::DataOptions options;
    options.limit = n;
    auto data = randomCifar ? randomImages(n) : training::loadDataset(dataSpec, options);
    std::printf("\n== %lld samples ==  (RSS before: %.0f MiB)\n",
                static_cast<long long>(data.size()), currentMiB());
    auto v = torch::randn({model->parameterCount()}).to(model->device());
    const auto vParts = model->unflatten(v);
    auto timePlain = [&] {
      fullDataSeconds(*model, data, batchSize, &vParts);  // warm-up
      std::vector<double> w, c;
      for (int r = 0; r < 3; ++r) {
        auto [wall, cpu] = fullDataSeconds(*model, data, batchSize, &vParts);
        w.push_back(wall);
        c.push_back(cpu);
      }
      return std::pair{median(w), median(c)};
    };
    static bool allocatorTuned = false;
    std::pair<double, double> plainSystemMalloc{NAN, NAN};
    if (!allocatorTuned) {
      plainSystemMalloc = timePlain();
      allocatorTuned = training::keepFreedHostMemory();
    }
    {  // the operators' memory is freed before the spectra below
      // Rounds of gradient, plain, streamed and cached products in turn, medians over rounds: on a
      // shared machine the load drifts, and interleaving keeps it out of the ratios.
      model->setTraining(false);
      HessianOptions streamed;  // forward + backward with graph + double backward per batch
      streamed.batchSize = batchSize;
      streamed.storage = HessianOptions::Storage::Streamed;
      HessianOperator streamedOp(*model, data, streamed);
      streamedOp.apply(v);  // warm-up
      const double peakStreamed = peakMiB();
      HessianOptions
          cached;  // graph built once (a gradient with create_graph), then double backward
      cached.batchSize = batchSize;
      cached.storage = HessianOptions::Storage::Cached;
      Timer buildTimer;
      HessianOperator cachedOp(*model, data, cached);
      const std::pair<double, double> build{buildTimer.wallSeconds(), buildTimer.cpuSeconds()};
      cachedOp.apply(v);  // warm-up
      const double peakCached = peakMiB();
      fullDataSeconds(*model, data, batchSize);           // warm-up
      fullDataSeconds(*model, data, batchSize, &vParts);  // warm-up
      auto timed = [&](auto&& work) {
        Timer t;
        work();
        if (model->device().is_cuda()) torch::cuda::synchronize();  // kernels run asynchronously
        return std::pair{t.wallSeconds(), t.cpuSeconds()};
      };
      enum { kGradient, kPlain, kStreamed, kCached, kRows };
      std::vector<double> wall[kRows], cpu[kRows];
      auto record = [&](int row, std::pair<double, double> t) {
        wall[row].push_back(t.first);
        cpu[row].push_back(t.second);
      };
      for (int round = 0; round < 5; ++round) {
        record(kGradient, fullDataSeconds(*model, data, batchSize));
        record(kPlain, fullDataSeconds(*model, data, batchSize, &vParts));
        record(kStreamed, timed([&] { streamedOp.apply(v); }));
        record(kCached, timed([&] { cachedOp.apply(v); }));
      }
      auto medianOf = [&](int row) { return std::pair{median(wall[row]), median(cpu[row])}; };
      const double gc = median(cpu[kGradient]), pc = median(cpu[kPlain]);
      std::printf("%-34s %9s %9s %12s %12s\n", "", "wall s", "CPU s", "CPU/gradient",
                  "CPU/plain HVP");
      auto line = [&](const char* name, std::pair<double, double> t) {
        std::printf("%-34s %9.4f %9.4f %12.2f %12.2f\n", name, t.first, t.second, t.second / gc,
                    t.second / pc);
      };
      line("gradient (forward+backward)", medianOf(kGradient));
      if (!std::isnan(plainSystemMalloc.first))
        line("HVP, plain, glibc's default malloc", plainSystemMalloc);
      line("HVP, plain (PyTorch's recipe)", medianOf(kPlain));
      line("HVP, streamed", medianOf(kStreamed));
      line("HVP, cached: build graph (once)", build);
      line("HVP, cached: per product", medianOf(kCached));
      std::printf("peak memory (VmHWM): %.0f MiB after streamed, %.0f MiB after cached\n",
                  peakStreamed, peakCached);
    }
    if (timingOnly) continue;

    // The operator the eigen-solvers use: Auto (cached up to 5000 samples, streamed above).
    HessianOptions automatic;
    automatic.batchSize = batchSize;
    HessianOperator op(*model, data, automatic);
    std::printf("spectra use the %s operator\n", op.cached() ? "cached" : "streamed");
    EigenOptions tight;
    tight.tol = 1e-8;
    tight.vectors = false;
    auto reference = lanczosEigen(op, 5, SpectrumEnd::Largest, tight);
    std::printf("reference top-5 (Lanczos, tol 1e-8): %s  [%lld HVPs, %.2f s]\n",
                values(reference.values).c_str(), static_cast<long long>(reference.products),
                reference.seconds);
    std::printf("%-28s %6s %9s %9s %12s  %s\n", "method", "HVPs", "wall s", "CPU s", "max rel err",
                "eigenvalues");
    auto row = [&](const char* name, auto&& run) {
      Timer t;
      EigenResult r = run();
      const double cpu = t.cpuSeconds();
      double err = 0.0;
      for (size_t i = 0; i < r.values.size(); ++i)
        err = std::max(err, relDiff(r.values[i], reference.values[i]));
      std::printf("%-28s %6lld %9.2f %9.2f %12.2e  %s%s\n", name,
                  static_cast<long long>(r.products), r.seconds, cpu, err, values(r.values).c_str(),
                  r.converged ? "" : " (not converged)");
    };
    EigenOptions lanczos;
    lanczos.tol = 1e-3;
    row("top-1 Lanczos tol 1e-3",
        [&] { return lanczosEigen(op, 1, SpectrumEnd::Largest, lanczos); });
    row("top-1 power (PyHessian)", [&] { return powerIteration(op, 1); });
    row("top-5 Lanczos tol 1e-3",
        [&] { return lanczosEigen(op, 5, SpectrumEnd::Largest, lanczos); });
    if (power5) row("top-5 power+deflation", [&] { return powerIteration(op, 5); });
    TraceOptions trace;  // defaults: 10..100 samples, stop at 1% relative standard error
    Timer tt;
    auto tr = hutchinsonTrace(op, trace);
    std::printf("trace (Hutchinson)           %6lld %9.2f %9.2f  %.5g ± %.2g%s\n",
                static_cast<long long>(tr.samples), tr.seconds, tt.cpuSeconds(), tr.mean,
                tr.standardError, tr.reachedTarget ? "" : " (budget reached)");
    TraceOptions plusPlus;
    plusPlus.method = TraceOptions::Method::HutchPlusPlus;
    plusPlus.maxSamples = 99;
    Timer tp;
    auto tpp = estimateTrace(op, plusPlus);
    std::printf("trace (Hutch++, 99 HVPs)     %6lld %9.2f %9.2f  %.5g ± %.2g\n",
                static_cast<long long>(tpp.samples), tpp.seconds, tp.cpuSeconds(), tpp.mean,
                tpp.standardError);
    DensityOptions density;  // PyHessian's defaults: m = 100, n_v = 1, 10,000 grid points
    Timer td;
    auto d = slqDensity(op, density);
    std::printf("density (SLQ m=100, n_v=1)   %6lld %9.2f %9.2f  nodes in [%.4g, %.4g]\n",
                static_cast<long long>(d.products), d.seconds, td.cpuSeconds(), d.nodes[0].front(),
                d.nodes[0].back());
    std::printf("peak memory (VmHWM) so far: %.0f MiB\n", peakMiB());
  }
  return 0;
}
