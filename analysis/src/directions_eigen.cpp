#include "flatland/analysis/directions_eigen.h"

#include <torch/types.h>

#include <chrono>
#include <cstdio>

#include "flatland/errors.h"

namespace flatland::analysis {

ComputedEigenDirections computeEigenDirections(training::Model& model,
                                               const training::Dataset& data, int count,
                                               const EigenDirectionOptions& options,
                                               const JobControl& control) {
  if (count < 1 || count > 3)
    throw InvalidArgument("a surface takes 1 to 3 eigenvector directions, " +
                          std::to_string(count) + " asked");
  const auto start = std::chrono::steady_clock::now();
  ComputedEigenDirections out;
  EigenResult top;
  {
    HessianOperator op(model, data, options.hessian, control);
    out.samples = op.samples();
    out.loss = op.loss();
    top = lanczosEigen(op, count, SpectrumEnd::Largest, options.eigen, control, "eigen directions");
  }
  out.tolerance = options.eigen.tol;
  out.products = top.products;
  out.restarts = top.iterations;
  out.eigenvalues = top.values;
  if (!top.converged || top.vectors.size() != size_t(count) * size_t(top.n))
    throw NumericalError(
        "the top " + std::to_string(count) + " Hessian eigenvectors of " + model.source() + " on " +
        data.spec + " did not converge (Lanczos, tolerance " + std::to_string(options.eigen.tol) +
        ", " + std::to_string(top.products) +
        " Hessian-vector products); compute them with flatland-cli hessian and a looser "
        "--tol, then pass --from-analysis NAME");

  auto& set = out.set;
  set.kind = DirectionKind::Eigen;
  set.norm = options.norm;
  for (int k = 0; k < count; ++k) {
    const double* row = top.vectors.data() + size_t(k) * size_t(top.n);
    auto v = torch::from_blob(const_cast<double*>(row), {top.n}, torch::kDouble).clone();
    // An eigenvector's sign is arbitrary; fix it so the same inputs give the same surface.
    if (v[v.abs().argmax()].item<double>() < 0) v = -v;
    v = v.to(torch::kFloat).contiguous();
    if (options.norm != DirectionNorm::None || options.oneDim != OneDimPolicy::Normalize)
      v = normalizeDirection(v, model, options.norm, options.oneDim);
    set.directions.push_back({v.clone(), {}});
  }
  char details[160];
  std::snprintf(
      details, sizeof details, "%lld samples; Lanczos, tolerance %g, %lld Hessian-vector products",
      static_cast<long long>(out.samples), out.tolerance, static_cast<long long>(out.products));
  set.source = "computed on the fly: top-" + std::to_string(count) +
               " Hessian eigenvectors of the loss on " +
               (data.spec.empty() ? std::string("the surface's data") : data.spec) + " (" +
               details + ")";
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace flatland::analysis
