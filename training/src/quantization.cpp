#include "flatland/training/quantization.h"

#include <torch/types.h>

#include <limits>

#include "flatland/errors.h"

namespace flatland::training {

at::Tensor fakeQuantize(const at::Tensor& w, int bits, QuantGranularity granularity) {
  if (bits < 2 || bits > 16) throw InvalidArgument("bit widths must be between 2 and 16");
  const double qmax = double((int64_t(1) << (bits - 1)) - 1);
  at::Tensor maxAbs;
  if (granularity == QuantGranularity::PerChannel && w.dim() >= 2) {
    maxAbs = w.detach().abs().reshape({w.size(0), -1}).amax(1);
    std::vector<int64_t> shape(w.dim(), 1);
    shape[0] = w.size(0);
    maxAbs = maxAbs.view(shape);
  } else {
    maxAbs = w.detach().abs().max();
  }
  // An all-zero channel keeps scale 1 so it stays exactly zero instead of dividing by zero.
  auto scale = torch::where(maxAbs > 0, maxAbs / qmax, torch::ones_like(maxAbs));
  return torch::clamp(torch::round(w.detach() / scale), -qmax, qmax) * scale;
}

std::vector<at::Tensor> quantizeWeightsInPlace(Model& model, int bits,
                                               QuantGranularity granularity) {
  torch::NoGradGuard noGrad;
  std::vector<at::Tensor> originals;
  for (auto& p : model.parameters()) {
    if (p.dim() >= 2) {
      originals.push_back(p.detach().clone());
      p.copy_(fakeQuantize(p, bits, granularity));
    } else {
      originals.emplace_back();
    }
  }
  return originals;
}

void restoreWeights(Model& model, const std::vector<at::Tensor>& originals) {
  torch::NoGradGuard noGrad;
  auto params = model.parameters();
  for (size_t i = 0; i < params.size(); ++i)
    if (originals[i].defined()) params[i].copy_(originals[i]);
}

std::vector<QuantizationPoint> quantizationSweep(Model& model, const Dataset& test,
                                                 const std::vector<int>& bits, int64_t batchSize,
                                                 const JobControl& control) {
  std::vector<QuantizationPoint> points;
  for (size_t i = 0; i < bits.size(); ++i) {
    QuantizationPoint point;
    point.bits = bits[i];
    for (auto granularity : {QuantGranularity::PerTensor, QuantGranularity::PerChannel}) {
      auto originals = quantizeWeightsInPlace(model, bits[i], granularity);
      EvalResult result;
      try {
        result = evaluate(model, test, batchSize, control);
      } catch (const NumericalError&) {
        // A model quantized to 2 bits can produce inf logits; that is a result, not an error.
        result.loss = std::numeric_limits<double>::infinity();
        result.accuracy = 0.0;
      } catch (...) {
        restoreWeights(model, originals);
        throw;
      }
      restoreWeights(model, originals);
      (granularity == QuantGranularity::PerTensor ? point.perTensor : point.perChannel) = result;
    }
    points.push_back(point);
    control.report({double(i + 1) / double(bits.size()), "quantize",
                    std::to_string(bits[i]) + " bits: accuracy " +
                        std::to_string(point.perChannel.accuracy) + " (per channel)"});
  }
  return points;
}

EvalResult evaluateMixedPrecision(Model& model, const Dataset& test,
                                  const std::map<std::string, int>& widths, int64_t batchSize,
                                  const JobControl& control) {
  std::vector<std::pair<at::Tensor, at::Tensor>> saved;  // parameter, its float values
  auto restore = [&] {
    torch::NoGradGuard noGrad;
    for (auto& [tensor, original] : saved) tensor.copy_(original);
  };
  EvalResult result;
  try {
    {
      torch::NoGradGuard noGrad;
      for (auto& p : model.namedParameters()) {
        auto it = widths.find(p.name);
        if (it == widths.end()) continue;
        saved.emplace_back(p.tensor, p.tensor.detach().clone());
        p.tensor.copy_(fakeQuantize(p.tensor, it->second, QuantGranularity::PerChannel));
      }
    }
    result = evaluate(model, test, batchSize, control);
  } catch (const NumericalError&) {
    result = EvalResult{};
    result.samples = test.size();
    result.loss = std::numeric_limits<double>::infinity();
    result.accuracy = 0.0;
  } catch (...) {
    restore();
    throw;
  }
  restore();
  return result;
}

}  // namespace flatland::training
