// Hessian-vector products of the mean loss over a data set, cached or streamed over batches.
#include "flatland/analysis/hessian_operator.h"

#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>
#include <torch/types.h>

#include <cmath>
#include <cstring>

#include "flatland/errors.h"

namespace flatland::analysis {

struct HessianOperator::State {
  training::Model& model;
  const training::Dataset& data;
  HessianOptions options;
  JobControl control;
  bool wasTraining = false;
  bool cached = false;
  std::vector<at::Tensor> params;
  int64_t rows = 0;
  int64_t samples = 0;
  double loss = 0.0;
  int64_t products = 0;
  // Cached mode: Σ_b (|b|/N)·∇L_b with its graph kept for double backward.
  std::vector<at::Tensor> gradient;
  // Gauss–Newton: per batch, the outputs f, ∂ℓ/∂f (with graph) and Jᵀu for a dummy u (with
  // graph, linear in u), so J v = ∂(Jᵀu·v)/∂u and Jᵀ w is one more backward through f.
  struct OutputGraph {
    at::Tensor outputs, outputGradient, dual, loss;
    std::vector<at::Tensor> jacobianTransposeDual;
    double weight = 1.0;
  };
  std::vector<OutputGraph> outputGraphs;
  bool gaussNewton() const { return options.curvature == HessianOptions::Curvature::GaussNewton; }

  State(training::Model& m, const training::Dataset& d) : model(m), data(d) {}

  at::Tensor lossOf(const at::Tensor& outputs, const at::Tensor& labels) const {
    if (options.loss) return options.loss(outputs, labels);
    return torch::nn::functional::cross_entropy(outputs, labels);
  }

  // Mean loss and (with graph) gradient of one batch [start, end).
  std::pair<at::Tensor, std::vector<at::Tensor>> batchGradient(int64_t start, int64_t end) const {
    training::useTwiceDifferentiableAttention();
    const auto device = model.device();
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    auto loss = lossOf(model.forward(x), y);
    if (loss.dim() != 0)
      throw InvalidArgument("the loss function must return a scalar (the batch mean)");
    auto grads = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/true,
                                       /*create_graph=*/true, /*allow_unused=*/true);
    for (size_t i = 0; i < grads.size(); ++i)
      if (!grads[i].defined()) grads[i] = torch::zeros_like(params[i]);
    return {loss, grads};
  }

  void checkLoss(double value) const {
    if (!std::isfinite(value))
      throw NumericalError("the loss of " + model.source() + " on " + data.spec +
                           " is not finite (NaN or inf): the Hessian is undefined there; check "
                           "the model (has training diverged?) and the data");
  }

  // ∂(g·v)/∂w for gradients g that carry a graph; zero where g does not depend on w. v goes in as
  // the backward's grad_outputs (PyTorch's own recipe) rather than through a g·v node: the
  // double backward then starts at g without an elementwise product and sum per parameter.
  std::vector<at::Tensor> differentiate(const std::vector<at::Tensor>& g,
                                        const std::vector<at::Tensor>& v, bool retain) const {
    std::vector<at::Tensor> outputs, seeds;
    for (size_t i = 0; i < g.size(); ++i) {
      if (!g[i].requires_grad()) continue;
      outputs.push_back(g[i]);
      seeds.push_back(v[i]);
    }
    std::vector<at::Tensor> out(params.size());
    if (!outputs.empty())
      out = torch::autograd::grad(outputs, params, seeds, retain, /*create_graph=*/false,
                                  /*allow_unused=*/true);
    for (size_t i = 0; i < out.size(); ++i)
      if (!out[i].defined()) out[i] = torch::zeros_like(params[i]);
    return out;
  }

  OutputGraph outputGraph(int64_t start, int64_t end) const {
    const auto device = model.device();
    OutputGraph g;
    auto x = data.inputs.slice(0, start, end).to(device, model.dtype());
    auto y = data.labels.slice(0, start, end).to(device);
    g.outputs = model.forward(x);
    g.loss = lossOf(g.outputs, y);
    if (g.loss.dim() != 0)
      throw InvalidArgument("the loss function must return a scalar (the batch mean)");
    g.outputGradient = torch::autograd::grad({g.loss}, {g.outputs}, {}, true, true)[0];
    g.dual = torch::zeros_like(g.outputs).requires_grad_(true);
    g.jacobianTransposeDual =
        torch::autograd::grad({g.outputs}, params, {g.dual}, true, true, true);
    g.weight = double(end - start) / double(samples);
    return g;
  }

  // Jᵀ (∇²_f ℓ) J v for one batch.
  std::vector<at::Tensor> gaussNewtonProduct(const OutputGraph& g,
                                             const std::vector<at::Tensor>& v) const {
    at::Tensor dot;
    for (size_t i = 0; i < v.size(); ++i) {
      const auto& jt = g.jacobianTransposeDual[i];
      if (!jt.defined() || !jt.requires_grad()) continue;
      auto term = (jt * v[i]).sum();
      dot = dot.defined() ? dot + term : term;
    }
    at::Tensor jv;
    if (dot.defined()) jv = torch::autograd::grad({dot}, {g.dual}, {}, true, false, true)[0];
    if (!jv.defined()) jv = torch::zeros_like(g.outputs);
    at::Tensor hjv;
    if (g.outputGradient.requires_grad())
      hjv = torch::autograd::grad({(g.outputGradient * jv).sum()}, {g.outputs}, {}, true, false,
                                  true)[0];
    if (!hjv.defined()) hjv = torch::zeros_like(g.outputs);
    auto out = torch::autograd::grad({g.outputs}, params, {hjv}, true, false, true);
    for (size_t i = 0; i < out.size(); ++i)
      if (!out[i].defined()) out[i] = torch::zeros_like(params[i]);
    return out;
  }
};

HessianOperator::HessianOperator(training::Model& model, const training::Dataset& data,
                                 const HessianOptions& options, const JobControl& control)
    : m_state(std::make_unique<State>(model, data)) {
  auto& s = *m_state;
  s.options = options;
  s.control = control;
  s.params = model.parameters();
  if (s.params.empty())
    throw InvalidArgument("model " + model.source() +
                          " has no trainable parameters (none requires grad): there is no "
                          "Hessian to analyse");
  s.rows = model.parameterCount();
  s.samples = data.size();
  if (s.samples <= 0)
    throw InvalidArgument("the data set " + data.spec +
                          " is empty (for a class: the class has no "
                          "samples): the Hessian of its loss is undefined");
  if (options.batchSize <= 0) throw InvalidArgument("the batch size must be positive");
  if (options.maxCachedSamples < 0) throw InvalidArgument("maxCachedSamples must be ≥ 0");
  s.wasTraining = model.isTraining();
  model.setTraining(false);
  s.cached =
      options.storage == HessianOptions::Storage::Cached ||
      (options.storage == HessianOptions::Storage::Auto && s.samples <= options.maxCachedSamples);
  try {
    const double n = double(s.samples);
    if (s.cached && s.gaussNewton()) {
      double lossSum = 0.0;
      for (int64_t start = 0; start < s.samples; start += options.batchSize) {
        control.throwIfCancelled();
        const int64_t end = std::min(s.samples, start + options.batchSize);
        s.outputGraphs.push_back(s.outputGraph(start, end));
        lossSum += s.outputGraphs.back().loss.item<double>() * s.outputGraphs.back().weight;
      }
      s.loss = lossSum;
    } else if (s.cached) {
      at::Tensor lossSum;
      for (int64_t start = 0; start < s.samples; start += options.batchSize) {
        control.throwIfCancelled();
        const int64_t end = std::min(s.samples, start + options.batchSize);
        const double weight = double(end - start) / n;
        auto [loss, grads] = s.batchGradient(start, end);
        lossSum = lossSum.defined() ? lossSum + loss.detach() * weight : loss.detach() * weight;
        if (s.gradient.empty()) {
          for (auto& g : grads) s.gradient.push_back(g * weight);
        } else {
          for (size_t i = 0; i < grads.size(); ++i)
            s.gradient[i] = s.gradient[i] + grads[i] * weight;
        }
      }
      s.loss = lossSum.item<double>();
    } else {
      torch::NoGradGuard noGrad;
      double lossSum = 0.0;
      for (int64_t start = 0; start < s.samples; start += options.batchSize) {
        control.throwIfCancelled();
        const int64_t end = std::min(s.samples, start + options.batchSize);
        auto x = data.inputs.slice(0, start, end).to(model.device(), model.dtype());
        auto y = data.labels.slice(0, start, end).to(model.device());
        lossSum += s.lossOf(model.forward(x), y).item<double>() * double(end - start) / n;
      }
      s.loss = lossSum;
    }
    s.checkLoss(s.loss);
  } catch (...) {
    model.setTraining(s.wasTraining);
    throw;
  }
}

HessianOperator::~HessianOperator() {
  if (m_state) m_state->model.setTraining(m_state->wasTraining);
}

int64_t HessianOperator::rows() const { return m_state->rows; }
int64_t HessianOperator::products() const { return m_state->products; }
double HessianOperator::loss() const { return m_state->loss; }
int64_t HessianOperator::samples() const { return m_state->samples; }
bool HessianOperator::cached() const { return m_state->cached; }

at::Tensor HessianOperator::apply(const at::Tensor& vector) const {
  auto& s = *m_state;
  if (vector.dim() != 1 || vector.numel() != s.rows)
    throw InvalidArgument("a Hessian-vector product needs a flat vector of " +
                          std::to_string(s.rows) + " entries, got shape " +
                          c10::str(vector.sizes()));
  s.control.throwIfCancelled();
  auto v = s.model.unflatten(vector.to(s.model.device(), s.model.dtype()).detach());
  std::vector<at::Tensor> total;
  auto accumulate = [&](const std::vector<at::Tensor>& part, double weight) {
    if (total.empty()) {
      for (auto& t : part) total.push_back(t * weight);
    } else {
      for (size_t i = 0; i < part.size(); ++i) total[i].add_(part[i], weight);
    }
  };
  if (s.gaussNewton()) {
    double lossSum = 0.0;
    const size_t batches =
        s.cached ? s.outputGraphs.size()
                 : size_t((s.samples + s.options.batchSize - 1) / s.options.batchSize);
    for (size_t b = 0; b < batches; ++b) {
      if (b > 0) s.control.throwIfCancelled();
      if (s.cached) {
        const auto& g = s.outputGraphs[b];
        accumulate(s.gaussNewtonProduct(g, v), g.weight);
      } else {
        const int64_t start = int64_t(b) * s.options.batchSize;
        auto g = s.outputGraph(start, std::min(s.samples, start + s.options.batchSize));
        lossSum += g.loss.item<double>() * g.weight;
        accumulate(s.gaussNewtonProduct(g, v), g.weight);
      }
    }
    if (!s.cached) s.checkLoss(lossSum);
  } else if (s.cached) {
    total = s.differentiate(s.gradient, v, /*retain=*/true);
  } else {
    const double n = double(s.samples);
    double lossSum = 0.0;
    for (int64_t start = 0; start < s.samples; start += s.options.batchSize) {
      if (start > 0) s.control.throwIfCancelled();
      const int64_t end = std::min(s.samples, start + s.options.batchSize);
      const double weight = double(end - start) / n;
      auto [loss, grads] = s.batchGradient(start, end);
      lossSum += loss.item<double>() * weight;
      accumulate(s.differentiate(grads, v, /*retain=*/false), weight);
    }
    s.checkLoss(lossSum);
  }
  std::vector<at::Tensor> flat;
  flat.reserve(total.size());
  for (auto& t : total) flat.push_back(t.reshape({-1}));
  auto result = torch::cat(flat);
  ++s.products;
  if (!torch::isfinite(result).all().item<bool>())
    throw NumericalError("a Hessian-vector product of " + s.model.source() + " on " + s.data.spec +
                         " is not finite (NaN or inf)");
  return result;
}

void HessianOperator::perform_op(const double* x, double* y) const {
  const int64_t n = m_state->rows;
  auto input = torch::from_blob(const_cast<double*>(x), {n}, torch::kFloat64);
  auto output = apply(input).to(torch::kCPU, torch::kFloat64).contiguous();
  std::memcpy(y, output.data_ptr<double>(), sizeof(double) * size_t(n));
}

}  // namespace flatland::analysis
