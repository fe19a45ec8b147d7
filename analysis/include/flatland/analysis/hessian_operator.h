// The Hessian of a model's mean loss over a data set as a matrix-free operator: Hessian-vector
// products by double backward (Pearlmutter, 1994), accumulated over batches.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "flatland/analysis/lanczos.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

namespace flatland::analysis {

// outputs (N×C), labels (N) → the batch MEAN of the loss, a scalar with autograd history.
using LossFunction = std::function<at::Tensor(const at::Tensor& outputs, const at::Tensor& labels)>;

struct HessianOptions {
  int64_t batchSize = 1000;
  // Cached: one forward/backward per batch at construction; the first-order graphs are kept
  // (retain_graph) and every product is one double-backward through them. Fast, memory grows with
  // the set. Streamed: every product redoes forward and backward batch by batch; memory is that
  // of one batch. Auto: cached when the set has at most maxCachedSamples samples.
  enum class Storage { Auto, Cached, Streamed };
  Storage storage = Storage::Auto;
  int64_t maxCachedSamples = 5000;
  LossFunction loss;  // empty: mean cross-entropy over the logits
  // Hessian: the full ∇²L. GaussNewton: the generalised Gauss–Newton Jᵀ (∇²_f ℓ) J (Schraudolph,
  // 2002), the Hessian without the term of the network's own curvature; positive semi-definite
  // for convex losses such as cross-entropy. Equal to the Hessian for models linear in w.
  enum class Curvature { Hessian, GaussNewton };
  Curvature curvature = Curvature::Hessian;
};

// H = ∇²_w (1/N) Σ_i ℓ(f(x_i; w), y_i) over the model's trainable parameters w (all that require
// grad, in namedParameters() order), with the model in eval mode (BatchNorm running statistics,
// no dropout) for the operator's lifetime; the previous mode is restored on destruction. The
// model and data must outlive the operator, and the parameters must not change while it lives.
// Works in the model's dtype (float32 or float64) on its device; the data may live elsewhere.
//
// Throws InvalidArgument (no trainable parameters, empty data, bad batch size),
// NumericalError (a NaN or inf loss or product), Cancelled (between products and batches).
class HessianOperator final : public SymmetricOperator {
 public:
  HessianOperator(training::Model& model, const training::Dataset& data,
                  const HessianOptions& options = {}, const JobControl& control = {});
  ~HessianOperator() override;
  HessianOperator(const HessianOperator&) = delete;
  HessianOperator& operator=(const HessianOperator&) = delete;

  int64_t rows() const override;
  // y = H x for double vectors on the host (converted to the model's dtype and device).
  void perform_op(const double* x, double* y) const override;
  // H v for a flat tensor of rows() entries; returns a flat tensor on the model's device/dtype.
  at::Tensor apply(const at::Tensor& v) const;

  int64_t products() const;
  double loss() const;  // the mean loss over the set, at construction
  int64_t samples() const;
  bool cached() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace flatland::analysis
