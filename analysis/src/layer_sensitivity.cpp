#include "flatland/analysis/layer_sensitivity.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <map>

#include "flatland/errors.h"
#include "flatland/training/quantization.h"

namespace flatland::analysis {

std::vector<LayerTrace> layerTraces(const HessianOperator& hessian, const training::Model& model,
                                    int64_t samples, uint64_t seed, const JobControl& control) {
  if (samples < 2)
    throw InvalidArgument("per-layer traces need at least 2 samples for a standard error");
  auto params = model.namedParameters();
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t n = model.parameterCount();
  // Per-sample estimates v_i·(Hv)_i of each tensor's block, accumulated as sums and squares.
  std::vector<double> sum(params.size(), 0.0), sumSquares(params.size(), 0.0);
  for (int64_t s = 0; s < samples; ++s) {
    control.throwIfCancelled();
    auto v = torch::randint(0, 2, {n}, gen, torch::kFloat64) * 2.0 - 1.0;
    auto hv = hessian.apply(v.to(model.device(), model.dtype())).to(torch::kCPU, torch::kFloat64);
    auto products = v * hv;
    int64_t offset = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const int64_t size = params[i].tensor.numel();
      const double estimate = products.slice(0, offset, offset + size).sum().item<double>();
      sum[i] += estimate;
      sumSquares[i] += estimate * estimate;
      offset += size;
    }
    control.report({double(s + 1) / double(samples), "layer traces", "", -1});
  }
  std::vector<LayerTrace> out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].tensor.dim() < 2) continue;
    const double mean = sum[i] / double(samples);
    const double variance =
        std::max(0.0, (sumSquares[i] - double(samples) * mean * mean) / double(samples - 1));
    out.push_back(
        {params[i].name, params[i].tensor.numel(), mean, std::sqrt(variance / double(samples))});
  }
  return out;
}

BitAllocation allocateBits(const training::Model& model, const std::vector<LayerTrace>& traces,
                           double averageBits, int minBits, int maxBits) {
  if (minBits < 2 || maxBits > 16 || minBits > maxBits)
    throw InvalidArgument("bit widths must satisfy 2 ≤ min ≤ max ≤ 16");
  if (averageBits < minBits)
    throw InvalidArgument("an average of " + std::to_string(averageBits) + " bits is below the " +
                          std::to_string(minBits) + "-bit minimum");
  std::map<std::string, at::Tensor> weights;
  for (auto& p : model.namedParameters())
    weights[p.name] = p.tensor.detach().cpu().to(torch::kFloat64);
  const size_t layers = traces.size();
  // cost[i][b]: HAWQ-v2's estimate of the loss increase when tensor i uses b bits. Negative
  // traces (saddle directions) are clamped at zero: they do not make quantization free.
  std::vector<std::vector<double>> cost(layers, std::vector<double>(maxBits + 1, 0.0));
  int64_t total = 0;
  for (size_t i = 0; i < layers; ++i) {
    auto it = weights.find(traces[i].name);
    if (it == weights.end())
      throw InvalidArgument("the model has no tensor '" + traces[i].name + "'");
    const double sensitivity = std::max(0.0, traces[i].trace) / double(traces[i].parameters);
    for (int b = minBits; b <= maxBits; ++b) {
      auto q = training::fakeQuantize(it->second, b, training::QuantGranularity::PerChannel);
      cost[i][b] = sensitivity * (q - it->second).pow(2).sum().item<double>();
    }
    total += traces[i].parameters;
  }
  BitAllocation result;
  std::vector<int> bits(layers, maxBits);
  auto weightedBits = [&] {
    double s = 0.0;
    for (size_t i = 0; i < layers; ++i) s += double(bits[i]) * double(traces[i].parameters);
    return total > 0 ? s / double(total) : 0.0;
  };
  while (weightedBits() > averageBits + 1e-12) {
    // Take a bit where it costs least per bit-of-model saved.
    int best = -1;
    double bestRate = 0.0;
    for (size_t i = 0; i < layers; ++i) {
      if (bits[i] <= minBits) continue;
      const double rate = (cost[i][bits[i] - 1] - cost[i][bits[i]]) / double(traces[i].parameters);
      if (best < 0 || rate < bestRate) {
        best = int(i);
        bestRate = rate;
      }
    }
    if (best < 0) break;
    --bits[best];
  }
  // The last step may overshoot (one bit of a large tensor is many bits of model): give bits
  // back where they reduce the loss most per bit of model, as long as the budget holds.
  while (true) {
    int best = -1;
    double bestRate = 0.0;
    const double spare = (averageBits - weightedBits()) * double(total);
    for (size_t i = 0; i < layers; ++i) {
      if (bits[i] >= maxBits || double(traces[i].parameters) > spare + 1e-9) continue;
      const double rate = (cost[i][bits[i]] - cost[i][bits[i] + 1]) / double(traces[i].parameters);
      if (best < 0 || rate > bestRate) {
        best = int(i);
        bestRate = rate;
      }
    }
    if (best < 0) break;
    ++bits[best];
  }
  for (size_t i = 0; i < layers; ++i) result.names.push_back(traces[i].name);
  result.bits = bits;
  result.averageBits = weightedBits();
  return result;
}

}  // namespace flatland::analysis
