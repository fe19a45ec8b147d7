// Training-set conditions studied in the literature: symmetric label noise and long tails.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "flatland/training/dataset.h"

namespace flatland::training {

struct LabelNoiseRecord {
  at::Tensor flippedIndices;  // int64, ascending
  at::Tensor originalLabels;  // int64, the labels before flipping, same order
};

// Symmetric label noise: ⌊ηN⌋ samples chosen at random each get a uniformly random *different*
// class. Seeded. Returns what was changed so the run can record it.
LabelNoiseRecord applyLabelNoise(Dataset& data, double rate, uint64_t seed);

// Exponential long tail (Cao et al., 2019): class c keeps n_c = n_max·(1/ratio)^{c/(C−1)} samples,
// n_max being the smallest class's count in the input (so every class can supply it). Seeded.
Dataset makeLongTail(const Dataset& data, double ratio, uint64_t seed);

}  // namespace flatland::training
