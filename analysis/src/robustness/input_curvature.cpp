// Lanczos with full re-orthogonalisation, one run per sample, all samples of a batch advanced
// together so each step costs one double-backward of the batch.
#include "flatland/analysis/input_curvature.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/types.h>

#include <Eigen/Eigenvalues>

#include <cmath>

#include "accuracy_tally.h"
#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

struct Batch {
  at::Tensor u;         // inputs in the space's units, a leaf
  at::Tensor gradient;  // ∇ᵤ Σℓ with its graph, flattened per sample
  at::Tensor losses, predictions;
};

Batch firstOrder(training::Model& model, const InputSpace& space, const at::Tensor& x,
                 const at::Tensor& y) {
  Batch b;
  b.u = space.fromData(x).detach().requires_grad_(true);
  auto logits = model.forward(space.toData(b.u));
  b.losses = perSampleCrossEntropy(logits, y);
  b.predictions = logits.argmax(1).detach();
  b.gradient = torch::autograd::grad({b.losses.sum()}, {b.u}, {}, /*retain_graph=*/true,
                                     /*create_graph=*/true)[0];
  return b;
}

// Per-sample H_i v_i for a B×n double matrix of vectors.
at::Tensor hessianProducts(const Batch& b, const at::Tensor& v) {
  auto product =
      torch::autograd::grad({b.gradient}, {b.u}, {v.to(b.u.scalar_type()).view(b.u.sizes())},
                            /*retain_graph=*/true)[0];
  auto out = product.detach().flatten(1).to(torch::kDouble);
  if (!torch::isfinite(out).all().item<bool>())
    throw NumericalError("an input-Hessian-vector product is not finite (NaN or inf)");
  return out;
}

// The largest eigenpair of the j×j tridiagonal (alpha, beta): (θ, |last component of s|).
std::pair<double, double> topRitz(const std::vector<double>& alpha,
                                  const std::vector<double>& beta) {
  const auto j = Eigen::Index(alpha.size());
  if (j == 1) return {alpha[0], 1.0};
  Eigen::VectorXd diagonal = Eigen::Map<const Eigen::VectorXd>(alpha.data(), j);
  Eigen::VectorXd offDiagonal = Eigen::Map<const Eigen::VectorXd>(beta.data(), j - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diagonal, offDiagonal, Eigen::ComputeEigenvectors);
  return {solver.eigenvalues()(j - 1), std::abs(solver.eigenvectors()(j - 1, j - 1))};
}

}  // namespace

InputCurvature inputCurvature(training::Model& model, const training::Dataset& data,
                              const InputSpace& space, const InputCurvatureOptions& o,
                              const JobControl& control) {
  if (o.batchSize <= 0 || o.maxSteps <= 0 || !(o.tol > 0) || !(o.cureStep > 0))
    throw InvalidArgument(
        "input curvature needs a positive batch size, step count, tolerance and CURE step h");
  training::useTwiceDifferentiableAttention();
  training::EvalModeScope evalMode(model);
  const auto device = model.device();
  const int64_t count = data.size();
  InputCurvature out;
  out.cureStep = o.cureStep;
  auto gen = at::detail::createCPUGenerator(o.seed);
  for (int64_t start = 0; start < count; start += o.batchSize) {
    const int64_t end = std::min(count, start + o.batchSize), B = end - start;
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    const auto batch = firstOrder(model, space, x, y);
    const int64_t n = batch.u[0].numel();
    const int64_t m = std::min(o.maxSteps, n);

    // CURE: the gradient difference along the normalised gradient sign.
    {
      auto g = batch.gradient.detach().flatten(1);
      auto z = g.sign();
      z = z / z.norm(2, 1, true).clamp_min(1e-30);
      auto shifted =
          (batch.u.detach().flatten(1) + o.cureStep * z).view(batch.u.sizes()).requires_grad_(true);
      auto losses = perSampleCrossEntropy(model.forward(space.toData(shifted)), y);
      auto g2 = torch::autograd::grad({losses.sum()}, {shifted})[0].flatten(1);
      auto cure = ((g2 - g).to(torch::kDouble).norm(2, 1) / o.cureStep).cpu();
      for (int64_t i = 0; i < B; ++i) out.cure.push_back(cure[i].item<double>());
    }

    auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(device);
    auto Q = torch::zeros({B, m, n}, dopt);
    auto q =
        (torch::randint(0, 2, {B, n}, gen, torch::TensorOptions().dtype(torch::kDouble)) * 2 - 1)
            .to(device) /
        std::sqrt(double(n));
    at::Tensor qPrevious, betaPrevious;
    const auto batchCount = static_cast<size_t>(B);
    std::vector<std::vector<double>> alpha(batchCount), beta(batchCount);
    std::vector<double> lambda(batchCount, std::nan(""));
    std::vector<int64_t> steps(batchCount, 0), converged(batchCount, 0);
    int64_t active = B;
    for (int64_t j = 0; j < m && active > 0; ++j) {
      control.throwIfCancelled();
      Q.select(1, j).copy_(q);
      auto w = hessianProducts(batch, q);
      ++out.products;
      auto a = (q * w).sum(1, true);
      w = w - a * q;
      if (qPrevious.defined()) w = w - betaPrevious * qPrevious;
      auto basis = Q.slice(1, 0, j + 1);
      for (int pass = 0; pass < 2; ++pass)  // twice is enough (Kahan–Parlett)
        w = w - torch::bmm(basis.transpose(1, 2), torch::bmm(basis, w.unsqueeze(2))).squeeze(2);
      auto b = w.norm(2, 1, true);
      auto aHost = a.cpu(), bHost = b.cpu();
      for (int64_t i = 0; i < B; ++i) {
        if (steps[size_t(i)] > 0) continue;  // finished earlier
        alpha[size_t(i)].push_back(aHost[i][0].item<double>());
        const double beta_j = bHost[i][0].item<double>();
        const auto [theta, lastComponent] = topRitz(alpha[size_t(i)], beta[size_t(i)]);
        beta[size_t(i)].push_back(beta_j);
        const double residual = beta_j * lastComponent;
        const double scale = std::max(std::abs(theta), 1e-300);
        // An invariant Krylov space (β ≈ 0 against the Ritz values seen) or the whole space is
        // exact.
        double largest = 0;
        for (double v : alpha[size_t(i)]) largest = std::max(largest, std::abs(v));
        const bool invariant = beta_j <= 1e-12 * std::max(largest, 1e-300) || j + 1 == n;
        if (residual <= o.tol * scale || invariant || j + 1 == m) {
          lambda[size_t(i)] = theta;
          steps[size_t(i)] = j + 1;
          converged[size_t(i)] = (residual <= o.tol * scale || invariant) ? 1 : 0;
          --active;
        }
      }
      qPrevious = q;
      betaPrevious = b;
      q = torch::where(b > 0, w / b.clamp_min(1e-300), torch::zeros_like(w));
      control.report(
          ProgressEvent{(double(start) + double(B) * double(j + 1) / double(m)) / double(count),
                        "input curvature", "", out.products});
    }
    auto losses = batch.losses.detach().to(torch::kDouble).cpu();
    auto predictions = batch.predictions.cpu();
    auto labels = y.cpu();
    for (int64_t i = 0; i < B; ++i) {
      out.loss.push_back(losses[i].item<double>());
      out.predictions.push_back(predictions[i].item<int64_t>());
      out.labels.push_back(labels[i].item<int64_t>());
      out.lambdaMax.push_back(lambda[size_t(i)]);
      out.steps.push_back(steps[size_t(i)]);
      out.converged.push_back(converged[size_t(i)]);
    }
  }
  return out;
}

}  // namespace flatland::analysis
