#include "flatland/training/checked_inference.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

namespace flatland::training {

namespace {

// Whether a fast forward pass gives the plain one's logits, to 1e-4 of the logits' scale:
// folding BatchNorm into convolutions changes float32 rounding (~1e-6 relative), a rewrite that
// changed the model would be far off. Empty when the plain logits are not finite (a diverged
// point cannot tell).
std::optional<bool> agrees(Model& model, const InferenceForward& fast, const at::Tensor& probe) {
  auto plain = model.forward(probe);
  if (!plain.isfinite().all().item<bool>()) return std::nullopt;
  auto other = fast(probe);
  if (other.sizes() != plain.sizes()) return false;
  const double scale = 1.0 + plain.abs().max().item<double>();
  const double difference = (other - plain).abs().max().item<double>();
  return difference <= 1e-4 * scale;  // false for NaN
}

bool fastInferenceAllowed() {
  const char* value = std::getenv("FLATLAND_FROZEN_INFERENCE");
  return value == nullptr || std::string(value) != "0";
}

}  // namespace

CheckedInference::CheckedInference(Model& model, int64_t samples)
    : m_model(&model),
      m_fast(fastInferenceAllowed() && samples >= 1000 ? Fast::untried : Fast::refused) {}

const InferenceForward& CheckedInference::forward(const at::Tensor& probe) {
  if (m_current) return m_current;
  if (m_fast != Fast::refused) {
    try {
      auto candidate = m_model->inferenceForward();
      if (m_fast == Fast::untried) {
        const auto verdict = agrees(*m_model, candidate, probe.slice(0, 0, 64));
        if (verdict) m_fast = *verdict ? Fast::used : Fast::refused;
      }
      if (m_fast == Fast::used) m_current = std::move(candidate);
    } catch (const std::exception&) {
      m_fast = Fast::refused;  // a model that cannot be frozen runs its plain forward pass
    }
  }
  if (!m_current) m_current = [model = m_model](const at::Tensor& x) { return model->forward(x); };
  return m_current;
}

}  // namespace flatland::training
