// Hessian-aware mixed precision (HAWQ, Dong et al. 2019/2020): per-layer Hessian traces as the
// sensitivity of each weight tensor, and a bit width per layer under a model-size budget.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct LayerTrace {
  std::string name;  // the parameter's name
  int64_t parameters = 0;
  double trace = 0.0;  // Hutchinson estimate of tr(H_ii), the diagonal block of this tensor
  double stderrOfTrace = 0.0;
};

// Per-tensor traces of the Hessian from `samples` Rademacher vectors over all parameters: for
// v = (v_1, …, v_L), E[v_i·(Hv)_i] = tr(H_ii) because the cross terms v_iᵀH_ij v_j vanish in
// expectation, so one product serves every layer. Only tensors of rank ≥ 2 (conv and linear
// weights, what quantization touches) are reported.
std::vector<LayerTrace> layerTraces(const HessianOperator& hessian, const training::Model& model,
                                    int64_t samples, uint64_t seed, const JobControl& control = {});

struct BitAllocation {
  std::vector<std::string> names;
  std::vector<int> bits;
  double averageBits = 0.0;  // weighted by parameter count
};

// Chooses a width in [minBits, maxBits] for every weight tensor so the parameter-weighted average
// is at most averageBits, minimising Σ_i (tr(H_ii)/n_i)·‖Q_b(W_i) − W_i‖² (HAWQ-v2's second-order
// estimate of the loss increase). Greedy: start at maxBits and repeatedly take one bit from the
// tensor whose step costs the least loss per bit saved. Throws InvalidArgument for a budget
// below minBits or a missing tensor.
BitAllocation allocateBits(const training::Model& model, const std::vector<LayerTrace>& traces,
                           double averageBits, int minBits = 2, int maxBits = 8);

}  // namespace flatland::analysis
