// Relative flatness (Petzka et al. 2021, "Relative flatness and generalization", Def. 3, the trace
// form): for the weights W of the layer from the features φ(x) to the outputs (rows w_s, one per
// output unit),
//   κ_Tr(w) = Σ_{s,s'} ⟨w_s, w_s'⟩ · Tr(H_{s,s'}),   H_{s,s'} = ∂²L / ∂w_s ∂w_s'
// (the Hessian of the mean loss over the data with respect to the rows s and s'), i.e.
// κ_Tr = tr(H_WW · (W Wᵀ ⊗ I)). It is unchanged when the features are scaled by α and W by 1/α,
// which is the reparametrisation that changes λ_max (Dinh et al. 2017).
#pragma once

#include <cstdint>
#include <string>

#include "flatland/analysis/hessian_operator.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"

namespace flatland::analysis {

struct RelativeFlatnessOptions {
  // The parameter W; empty: the last trainable parameter of two or more dimensions (the output
  // layer's weight in every zoo model). Tensors of more dimensions are read as [dim 0, the rest].
  std::string parameter;
  // 0: exact, one Hessian-vector product per entry of W; else this many Rademacher vectors v over
  // W and the Hutchinson estimate mean(vᵀ H (WWᵀ ⊗ I) v), with its standard error.
  int64_t samples = 0;
  uint64_t seed = 0;
  HessianOptions hessian;  // batch size, cached or streamed, loss
};

struct RelativeFlatness {
  std::string parameter;
  double value = 0.0;
  double standardError = 0.0;  // 0 when exact
  int64_t products = 0;        // Hessian-vector products
  bool exact = false;
};

// Throws InvalidArgument (no such parameter, fewer than 2 samples), NumericalError, Cancelled
// between products.
RelativeFlatness relativeFlatness(training::Model& model, const training::Dataset& data,
                                  const RelativeFlatnessOptions& options,
                                  const JobControl& control = {});

}  // namespace flatland::analysis
