// Per-layer Hessian traces against exact block traces, and HAWQ bit allocation under a budget.
#include <gtest/gtest.h>
#include <torch/types.h>

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

// tr(H_ii) exactly: the sum of e_jᵀ H e_j over the entries j of tensor i.
double exactBlockTrace(const HessianOperator& h, const Model& model, const std::string& name) {
  int64_t offset = 0;
  for (auto& p : model.namedParameters()) {
    if (p.name == name) {
      double trace = 0.0;
      for (int64_t j = 0; j < p.tensor.numel(); ++j) {
        auto e = torch::zeros({model.parameterCount()}, torch::kFloat64);
        e[offset + j] = 1.0;
        trace += h.apply(e)[offset + j].item<double>();
      }
      return trace;
    }
    offset += p.tensor.numel();
  }
  throw std::logic_error("no tensor " + name);
}

}  // namespace

// Hutchinson is unbiased per block; with 300 samples each estimate lies within 4 of its own
// standard errors of the exact value (a 4σ band fails by chance about once in 15,000 runs).
TEST(LayerSensitivity, TracesMatchExactBlockTraces) {
  SpiralMlp s;
  HessianOperator h(*s.model, s.data);
  auto traces = layerTraces(h, *s.model, 300, 7);
  ASSERT_EQ(traces.size(), 3u);  // three weight matrices; biases are left out
  std::map<std::string, LayerTrace> byName;
  for (auto& t : traces) byName[t.name] = t;
  for (const std::string name : {"layers.1.weight", "layers.5.weight"}) {  // 256 and 192 entries
    ASSERT_TRUE(byName.count(name)) << name;
    const double exact = exactBlockTrace(h, *s.model, name);
    EXPECT_GT(byName[name].stderrOfTrace, 0.0);
    EXPECT_NEAR(byName[name].trace, exact, 4.0 * byName[name].stderrOfTrace + 1e-9) << name;
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
  for (size_t i = 0; i < traces.size(); ++i)
    if (tight.bits[i] < 8) EXPECT_GT(tight.averageBits + double(traces[i].parameters) / double(total), 4.0 + 1e-9);
  EXPECT_EQ(tight.bits.back(), 8);  // the sensitive layer keeps every bit
  EXPECT_LT(tight.bits[1], 8);      // the large, insensitive middle layer pays
  EXPECT_THROW(allocateBits(*s.model, traces, 1.5), InvalidArgument);
  traces[0].name = "nonexistent";
  EXPECT_THROW(allocateBits(*s.model, traces, 4.0), InvalidArgument);
}
