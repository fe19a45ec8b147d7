// Per-layer Hessian traces against exact block traces, and HAWQ bit allocation under a budget.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>
#include <map>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/analysis/layer_sensitivity.h"
#include "flatland/errors.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

using namespace flatland;
using namespace flatland::analysis;
using namespace flatland::training;

namespace {

struct SpiralMlp {
  Dataset data = loadDataset("synthetic:spirals:64:3");
  std::unique_ptr<Model> model = makeZooModel("mlp-tanh", {{2}, 3}, 4);
  SpiralMlp() { model->to(torch::kCPU, torch::kFloat64); }
};

// The rows of H that belong to tensor `name` ([block size, all parameters], float64), one
// Hessian-vector product per entry, and where the block starts.
std::pair<at::Tensor, int64_t> blockRows(const HessianOperator& h, const Model& model,
                                         const std::string& name) {
  int64_t offset = 0;
  for (auto& p : model.namedParameters()) {
    if (p.name == name) {
      auto rows = torch::zeros({p.tensor.numel(), model.parameterCount()}, torch::kFloat64);
      for (int64_t j = 0; j < p.tensor.numel(); ++j) {
        auto e = torch::zeros({model.parameterCount()}, torch::kFloat64);
        e[offset + j] = 1.0;
        rows[j] = h.apply(e).to(torch::kFloat64);
      }
      return {rows, offset};
    }
    offset += p.tensor.numel();
  }
  throw std::logic_error("no tensor " + name);
}

}  // namespace

// Two checks per tensor. Deterministic: the estimate and its standard error are the mean and
// standard error of v_Bᵀ(Hv)_B over exactly the Rademacher vectors the seed draws (redrawn here
// the same way), to 1e-9. Statistical, with the exact spread: the block estimator's variance is
// Σ_{j<k} H_jk²([j∈B] + [k∈B])², so the reported standard error must be close to the true one
// and the estimate within 4 true standard errors of tr(H_BB).
TEST(LayerSensitivity, TracesMatchExactBlockTraces) {
  SpiralMlp s;
  HessianOperator h(*s.model, s.data);
  const int64_t samples = 300;
  const uint64_t seed = 7;
  auto traces = layerTraces(h, *s.model, samples, seed);
  ASSERT_EQ(traces.size(), 3u);  // three weight matrices; biases are left out
  std::map<std::string, LayerTrace> byName;
  for (auto& t : traces) byName[t.name] = t;
  const int64_t n = s.model->parameterCount();
  for (const std::string name : {"layers.1.weight", "layers.5.weight"}) {  // 256 and 192 entries
    ASSERT_TRUE(byName.count(name)) << name;
    const auto [rows, offset] = blockRows(h, *s.model, name);
    const int64_t size = rows.size(0);
    auto block = rows.slice(1, offset, offset + size);  // H_BB
    const double exact = block.diagonal().sum().item<double>();

    auto gen = at::detail::createCPUGenerator(seed);
    double sum = 0.0, sumSquares = 0.0;
    for (int64_t k = 0; k < samples; ++k) {
      auto v = torch::randint(0, 2, {n}, gen, torch::kFloat64) * 2.0 - 1.0;
      const double estimate =
          (v.slice(0, offset, offset + size) * rows.matmul(v)).sum().item<double>();
      sum += estimate;
      sumSquares += estimate * estimate;
    }
    const double mean = sum / double(samples);
    const double sampleStderr = std::sqrt((sumSquares - double(samples) * mean * mean) /
                                          double(samples - 1) / double(samples));
    EXPECT_NEAR(byName[name].trace, mean, 1e-9 * (1.0 + std::abs(mean))) << name;
    EXPECT_NEAR(byName[name].stderrOfTrace, sampleStderr, 1e-9 * (1.0 + sampleStderr)) << name;

    // Var = 4·Σ_{j<k in B} H_jk² + Σ_{j in B, k outside} H_jk².
    const double offDiagonalInside =
        block.pow(2).sum().item<double>() - block.diagonal().pow(2).sum().item<double>();
    const double outside = rows.pow(2).sum().item<double>() - block.pow(2).sum().item<double>();
    const double trueStderr = std::sqrt((2.0 * offDiagonalInside + outside) / double(samples));
    EXPECT_GT(byName[name].stderrOfTrace, 0.75 * trueStderr) << name;
    EXPECT_LT(byName[name].stderrOfTrace, 1.25 * trueStderr) << name;
    EXPECT_NEAR(byName[name].trace, exact, 4.0 * trueStderr) << name;
  }
}

TEST(LayerSensitivity, AllocationMeetsTheBudgetAndFavoursSensitiveLayers) {
  SpiralMlp s;
  std::vector<LayerTrace> traces;
  for (auto& p : s.model->namedParameters())
    if (p.tensor.dim() >= 2) traces.push_back({p.name, p.tensor.numel(), 1e-3, 0.0});
  traces.back().trace = 1e6;  // the output layer is by far the most sensitive
  auto full = allocateBits(*s.model, traces, 8.0);
  for (int b : full.bits) EXPECT_EQ(b, 8);
  auto tight = allocateBits(*s.model, traces, 4.0);
  EXPECT_LE(tight.averageBits, 4.0 + 1e-9);
  // No tensor could take one more bit without breaking the budget: nothing is left unused.
  int64_t total = 0;
  for (auto& t : traces) total += t.parameters;
  for (size_t i = 0; i < traces.size(); ++i) {
    if (tight.bits[i] < 8) {
      EXPECT_GT(tight.averageBits + double(traces[i].parameters) / double(total), 4.0 + 1e-9);
    }
  }
  EXPECT_EQ(tight.bits.back(), 8);  // the sensitive layer keeps every bit
  EXPECT_LT(tight.bits[1], 8);      // the large, insensitive middle layer pays
  EXPECT_THROW(allocateBits(*s.model, traces, 1.5), InvalidArgument);
  traces[0].name = "nonexistent";
  EXPECT_THROW(allocateBits(*s.model, traces, 4.0), InvalidArgument);
}
