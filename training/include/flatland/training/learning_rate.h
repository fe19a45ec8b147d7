// Learning-rate schedules: constant, step, cosine, each with an optional linear warm-up.
#pragma once

#include "flatland/training/train_config.h"

namespace flatland::training {

// The rate at a fractional epoch (0 = start of training, epochs = end).
double learningRateAt(const OptimizerConfig& config, double epoch, int64_t totalEpochs);

}  // namespace flatland::training
