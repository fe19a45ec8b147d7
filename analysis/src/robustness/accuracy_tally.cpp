#include "accuracy_tally.h"

#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

at::Tensor perSampleCrossEntropy(const at::Tensor& logits, const at::Tensor& labels) {
  return -torch::log_softmax(logits, 1).gather(1, labels.view({-1, 1})).view({-1});
}

AccuracyTally::AccuracyTally(int64_t numClasses)
    : m_numClasses(numClasses), m_correct(size_t(numClasses), 0), m_count(size_t(numClasses), 0) {}

void AccuracyTally::add(const at::Tensor& labels, const at::Tensor& losses,
                        const at::Tensor& correct) {
  auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  auto hit = correct.to(torch::kCPU, torch::kInt64).contiguous();
  m_lossSum += losses.detach().sum().item<double>();
  const int64_t n = y.numel();
  const int64_t* yp = y.data_ptr<int64_t>();
  const int64_t* hp = hit.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    m_count[size_t(yp[i])] += 1;
    m_correct[size_t(yp[i])] += hp[i];
  }
  m_samples += n;
}

void AccuracyTally::addLogits(const at::Tensor& logits, const at::Tensor& labels) {
  add(labels, perSampleCrossEntropy(logits.detach(), labels), logits.detach().argmax(1) == labels);
}

double AccuracyTally::accuracy() const {
  int64_t correct = 0;
  for (int64_t c : m_correct) correct += c;
  return m_samples ? double(correct) / double(m_samples) : std::nan("");
}

double AccuracyTally::loss() const {
  const double mean = m_samples ? m_lossSum / double(m_samples) : std::nan("");
  if (!std::isfinite(mean))
    throw NumericalError(
        "the loss is not finite (NaN or inf): the model has diverged or the inputs hold NaN");
  return mean;
}

std::vector<double> AccuracyTally::perClassAccuracy() const {
  std::vector<double> out;
  for (int64_t c = 0; c < m_numClasses; ++c)
    out.push_back(m_count[size_t(c)] ? double(m_correct[size_t(c)]) / double(m_count[size_t(c)])
                                     : std::nan(""));
  return out;
}

}  // namespace flatland::analysis
