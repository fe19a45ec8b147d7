// Loss and accuracy, overall and per class, summed batch by batch (private to robustness/).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace flatland::analysis {

// Per-sample cross-entropy of logits against labels (no reduction).
at::Tensor perSampleCrossEntropy(const at::Tensor& logits, const at::Tensor& labels);

class AccuracyTally {
 public:
  explicit AccuracyTally(int64_t numClasses);
  // Adds a batch: per-sample losses and whether each sample is classified correctly.
  void add(const at::Tensor& labels, const at::Tensor& losses, const at::Tensor& correct);
  // Adds a batch from its logits.
  void addLogits(const at::Tensor& logits, const at::Tensor& labels);

  int64_t samples() const { return m_samples; }
  double accuracy() const;
  double loss() const;                           // mean; throws NumericalError when not finite
  std::vector<double> perClassAccuracy() const;  // NaN for classes without samples

 private:
  int64_t m_numClasses;
  int64_t m_samples = 0;
  double m_lossSum = 0.0;
  std::vector<int64_t> m_correct, m_count;
};

}  // namespace flatland::analysis
