#include "flatland/training/qat_state.h"

#include <torch/autograd.h>
#include <torch/types.h>

#include "flatland/errors.h"
#include "flatland/training/learned_step_size.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/quantization.h"
#include "flatland/training/tensor_array.h"

namespace flatland::training {

QatState::QatState(Model& model, int weightBits, int activationBits, QatMethod method)
    : m_model(model), m_weightBits(weightBits), m_activationBits(activationBits), m_method(method) {
  if (weightBits != 0 && (weightBits < 2 || weightBits > 8))
    throw InvalidArgument("QAT weight bit widths must be between 2 and 8 (0: float weights)");
  if (activationBits != 0 && (activationBits < 2 || activationBits > 8))
    throw InvalidArgument(
        "QAT activation bit widths must be between 2 and 8 (0: float activations)");
  auto params = model.parameters();
  m_weightSteps.resize(params.size());
  if (method == QatMethod::Lsq && weightBits > 0) {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].dim() >= 2)
        m_weightSteps[i] = lsqInitialStep(params[i], weightLevels(), QuantGranularity::PerChannel)
                               .set_requires_grad(true);
  }
  if (activationBits > 0 && model.activationSiteCount() > 0) {
    const auto options = c10::TensorOptions().dtype(model.dtype()).device(model.device());
    for (int64_t i = 0; i < model.activationSiteCount(); ++i)
      m_activations.emplace_back(activationBits, method, options);
    model.setActivationTransform([this](int64_t site, const at::Tensor& x, bool training) {
      return quantizeActivation(site, x, training);
    });
  }
}

QatState::~QatState() {
  if (!m_activations.empty()) m_model.setActivationTransform({});
}

double QatState::weightLevels() const { return double((int64_t(1) << (m_weightBits - 1)) - 1); }

at::Tensor QatState::quantizeActivation(int64_t site, const at::Tensor& x, bool training) {
  return m_activations.at(site)(x, training);
}

at::Tensor QatState::quantizedWeight(size_t i) const {
  auto p = m_model.parameters().at(i).detach();
  if (m_weightBits == 0 || p.dim() < 2) return p;
  if (m_method == QatMethod::Ste)
    return fakeQuantize(p, m_weightBits, QuantGranularity::PerChannel);
  torch::NoGradGuard noGrad;
  return lsqFakeQuantize(p, m_weightSteps[i].detach(), weightLevels(), weightLevels(), 1.0);
}

std::vector<at::Tensor> QatState::weightSteps() const {
  std::vector<at::Tensor> out;
  for (auto& s : m_weightSteps)
    if (s.defined()) out.push_back(s);
  return out;
}

std::vector<at::Tensor> QatState::activationSteps() const {
  std::vector<at::Tensor> out;
  for (auto& q : m_activations)
    if (q.learnedStep().defined()) out.push_back(q.learnedStep());
  return out;
}

void QatState::beginStep() {
  for (auto& q : m_activations) q.beginStep();
}

void QatState::clampSteps() {
  torch::NoGradGuard noGrad;
  for (auto& s : weightSteps()) s.clamp_min_(kMinLsqStep);
  for (auto& s : activationSteps()) s.clamp_min_(kMinLsqStep);
}

Node QatState::record() const {
  Node node;
  node.attributes = {{schema::kMethod, std::string(toString(m_method))},
                     {schema::kWeightBits, int64_t(m_weightBits)},
                     {schema::kActivationBits, int64_t(m_activationBits)},
                     {schema::kActivationSites, activationSiteCount()}};
  if (!m_activations.empty()) {
    std::vector<double> steps, clips;
    for (auto& q : m_activations) {
      steps.push_back(q.step());
      clips.push_back(q.clip());
    }
    node.datasets[schema::kActivationSteps] = Array::f64(steps);
    node.datasets[schema::kActivationClips] = Array::f64(clips);
  }
  auto named = m_model.namedParameters();
  for (size_t i = 0; i < m_weightSteps.size(); ++i)
    if (m_weightSteps[i].defined())
      node.groups[schema::kWeightSteps].datasets[named[i].name] =
          toArray(m_weightSteps[i].detach().to(torch::kFloat64).flatten());
  return node;
}

QatState::WeightScope::WeightScope(QatState* state) : m_state(state) {
  if (!state || state->m_weightBits == 0) return;
  torch::NoGradGuard noGrad;
  auto params = state->m_model.parameters();
  m_float.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].dim() < 2) continue;
    m_float[i] = params[i].detach().clone();
    params[i].copy_(state->quantizedWeight(i));
  }
}

QatState::WeightScope::~WeightScope() {
  if (m_float.empty()) return;
  torch::NoGradGuard noGrad;
  auto params = m_state->m_model.parameters();
  for (size_t i = 0; i < m_float.size(); ++i)
    if (m_float[i].defined()) params[i].copy_(m_float[i]);
}

void QatState::WeightScope::backpropagate() {
  // Ste: the gradient passes unchanged (every weight lies inside its max-based range).
  if (m_float.empty() || m_state->m_method != QatMethod::Lsq) return;
  torch::AutoGradMode enableGrad(true);
  auto params = m_state->m_model.parameters();
  const double q = m_state->weightLevels();
  for (size_t i = 0; i < m_float.size(); ++i) {
    const auto& step = m_state->m_weightSteps[i];
    const auto& upstream = params[i].grad();
    if (!m_float[i].defined() || !step.defined() || !upstream.defined()) continue;
    // The loss sees w only through ŵ = lsq(w, s): chain the gradient at ŵ through the quantizer.
    auto w = m_float[i].detach().requires_grad_(true);
    const double scale = lsqGradScale(w.numel() / w.size(0), q);  // N: the weights of one channel
    auto quantized = lsqFakeQuantize(w, step, q, q, scale);
    auto grads = torch::autograd::grad({quantized}, {w, step}, {upstream});
    params[i].mutable_grad() = grads[0];
    step.mutable_grad() = grads[1];
  }
}

}  // namespace flatland::training
