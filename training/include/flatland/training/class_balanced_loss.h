// Losses for long-tailed data: cross-entropy, LDAM (Cao 2019), VS (Kini 2021), and deferred
// re-weighting (DRW) by effective number of samples (Cui 2019).
#pragma once

#include <cstdint>
#include <vector>

#include "flatland/training/sharpness_step.h"
#include "flatland/training/train_config.h"

namespace flatland::training {

// The loss of a run. classCounts are the training set's samples per class; with reweight the
// per-class weights (1 − β)/(1 − β^{n_c}), β = 0.9999, normalised to mean 1, are applied.
LossFunction makeLoss(LossKind kind, const std::vector<int64_t>& classCounts, bool reweight);

}  // namespace flatland::training
