// Norms of a model's trainable weights: the ℓ2 norm of all of them and of each parameter tensor
// (Jiang et al. 2019's norm-based measures start from these).
#pragma once

#include <string>
#include <vector>

#include "flatland/training/model.h"

namespace flatland::analysis {

struct WeightNorms {
  double total = 0.0;              // ‖w‖₂ over every trainable parameter
  std::vector<std::string> names;  // parameter tensors, in namedParameters() order
  std::vector<double> norms;       // ‖w_t‖₂ (Frobenius for matrices and kernels)
  std::vector<int64_t> sizes;      // entries of each tensor
};

WeightNorms weightNorms(const training::Model& model);

}  // namespace flatland::analysis
