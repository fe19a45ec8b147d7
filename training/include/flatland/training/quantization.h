// Fake quantization of weights: symmetric, round-to-nearest, per tensor or per output channel.
// Used by quantization-aware training (straight-through estimator) and the post-training sweep.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "flatland/training/dataset.h"
#include "flatland/training/evaluate.h"
#include "flatland/training/model.h"

namespace flatland::training {

enum class QuantGranularity { PerTensor, PerChannel };

// Symmetric b-bit quantization of w, returned dequantized: s = max|w|/(2^{b−1}−1) (per tensor or
// per slice along dim 0), q = clamp(round(w/s), −(2^{b−1}−1), 2^{b−1}−1), result q·s.
at::Tensor fakeQuantize(const at::Tensor& w, int bits, QuantGranularity granularity);

// Replaces the model's weights of rank ≥ 2 (conv and linear weights; biases and BatchNorm stay in
// float, as is usual) by their fake-quantized values and returns the float originals, in
// parameter order (undefined tensors for the ones left alone).
std::vector<at::Tensor> quantizeWeightsInPlace(Model& model, int bits,
                                               QuantGranularity granularity);
// Puts the originals returned by quantizeWeightsInPlace back.
void restoreWeights(Model& model, const std::vector<at::Tensor>& originals);

struct QuantizationPoint {
  int bits = 0;
  EvalResult perTensor;
  EvalResult perChannel;
};

// Post-training quantization sweep: test loss and accuracy at each bit width.
std::vector<QuantizationPoint> quantizationSweep(Model& model, const Dataset& test,
                                                 const std::vector<int>& bits, int64_t batchSize,
                                                 const JobControl& control = {});

// Test loss and accuracy with each named weight tensor fake-quantized per channel at its own width
// (HAWQ's mixed precision); the float weights are back in place afterwards, also on an error. As
// in the sweep, a model whose quantized loss is not finite is a result (loss inf, accuracy 0),
// not an error.
EvalResult evaluateMixedPrecision(Model& model, const Dataset& test,
                                  const std::map<std::string, int>& widths, int64_t batchSize,
                                  const JobControl& control = {});

}  // namespace flatland::training
