#include "flatland/analysis/relative_flatness.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

RelativeFlatness relativeFlatness(training::Model& model, const training::Dataset& data,
                                  const RelativeFlatnessOptions& o, const JobControl& control) {
  if (o.samples == 1)
    throw InvalidArgument("relative flatness needs 0 (exact) or at least 2 Hutchinson samples");
  if (o.samples < 0) throw InvalidArgument("relative flatness samples must be at least 0");
  // Where W sits in the flat parameter vector.
  int64_t offset = 0, begin = -1;
  at::Tensor weight;
  RelativeFlatness out;
  std::string names;
  for (const auto& p : model.namedParameters()) {
    const bool matches = o.parameter.empty() ? p.tensor.dim() >= 2 : p.name == o.parameter;
    if (matches) {
      begin = offset;
      weight = p.tensor;
      out.parameter = p.name;
    }
    if (p.tensor.dim() >= 2) names += (names.empty() ? "" : ", ") + p.name;
    offset += p.tensor.numel();
  }
  if (begin < 0 || weight.dim() < 2)
    throw InvalidArgument(
        o.parameter.empty()
            ? "relative flatness needs a weight matrix, and " + model.source() + " has none"
            : "relative flatness: '" + o.parameter +
                  "' is not a weight matrix of the model (one of: " + names + ")");
  const int64_t total = offset, rows = weight.size(0), size = weight.numel();
  auto w = weight.detach().reshape({rows, -1}).to(torch::kCPU, torch::kFloat64);
  const int64_t cols = w.size(1);
  auto gram = w.mm(w.t());  // G_ss' = ⟨w_s, w_s'⟩
  HessianOperator hessian(model, data, o.hessian, control);
  auto block = [&](const at::Tensor& v) {  // H_WW v for a [rows, cols] v, as [rows, cols] float64
    auto full = torch::zeros({total}, torch::kFloat64);
    full.slice(0, begin, begin + size).copy_(v.reshape({-1}));
    auto hv =
        hessian.apply(full.to(model.device(), model.dtype())).to(torch::kCPU, torch::kFloat64);
    ++out.products;
    return hv.slice(0, begin, begin + size).reshape({rows, cols});
  };
  if (o.samples == 0) {
    // κ = Σ_{s,s',j} G_ss' H[(s,j),(s',j)]: column (s',j) of H_WW weighted by G's column s'.
    out.exact = true;
    double sum = 0.0;
    for (int64_t sp = 0; sp < rows; ++sp)
      for (int64_t j = 0; j < cols; ++j) {
        control.throwIfCancelled();
        auto e = torch::zeros({rows, cols}, torch::kFloat64);
        e[sp][j] = 1.0;
        auto column = block(e);
        sum += (gram.select(1, sp) * column.select(1, j)).sum().item<double>();
        control.report(
            {double(sp * cols + j + 1) / double(size), "relative flatness", "", out.products});
      }
    out.value = sum;
    return out;
  }
  // Hutchinson on the non-symmetric H·M: tr(HM) = E[vᵀ H M v] for Rademacher v, M v = G V.
  auto gen = at::detail::createCPUGenerator(o.seed);
  double sum = 0.0, squares = 0.0;
  for (int64_t k = 0; k < o.samples; ++k) {
    control.throwIfCancelled();
    auto v = torch::randint(0, 2, {rows, cols}, gen, torch::kFloat64) * 2.0 - 1.0;
    const double x = (v * block(gram.mm(v))).sum().item<double>();
    sum += x;
    squares += x * x;
    control.report({double(k + 1) / double(o.samples), "relative flatness", "", out.products});
  }
  const double n = double(o.samples), mean = sum / n;
  out.value = mean;
  out.standardError = std::sqrt(std::max(0.0, (squares - n * mean * mean) / (n - 1)) / n);
  if (!std::isfinite(out.value))
    throw NumericalError("the relative flatness of " + model.source() + " is not finite");
  return out;
}

}  // namespace flatland::analysis
