// BatchNorm running statistics for weights no statistics were collected for: SWA's average
// (Izmailov et al. 2018; the statistics of the average are not the average of statistics) and
// the points of a curve between two models (Garipov et al. 2018).
#pragma once

#include <cstdint>

#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

namespace flatland::training {

// Sets every running_mean and running_var to the average over the batches of `data` of the
// batch statistics the layer sees (the unbiased variance, as BatchNorm keeps it), as PyTorch's
// torch.optim.swa_utils.update_bn does, and num_batches_tracked to the batch count: one pass in
// train mode without autograd, plus one extra forward of the first batch. The model's mode comes
// back; a model without BatchNorm is left alone. Throws ModelError for a layer whose momentum is 0.
void recomputeBatchNormStatistics(Model& model, const Dataset& data, int64_t batchSize);

}  // namespace flatland::training
