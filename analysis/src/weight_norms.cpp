#include "flatland/analysis/weight_norms.h"

#include <torch/types.h>

#include <cmath>

namespace flatland::analysis {

WeightNorms weightNorms(const training::Model& model) {
  WeightNorms out;
  double squares = 0.0;
  for (const auto& p : model.namedParameters()) {
    const double norm = p.tensor.detach().to(torch::kFloat64).norm().item<double>();
    out.names.push_back(p.name);
    out.norms.push_back(norm);
    out.sizes.push_back(p.tensor.numel());
    squares += norm * norm;
  }
  out.total = std::sqrt(squares);
  return out;
}

}  // namespace flatland::analysis
