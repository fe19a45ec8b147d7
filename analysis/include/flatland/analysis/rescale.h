// The reparametrisation of Dinh et al. (2017): a layer followed by a ReLU (and pooling) has its
// weight and bias scaled by α > 0 and the next layer's weight by 1/α. ReLU and max/average pooling
// are positively homogeneous, so the network computes the same function while λ_max changes.
#pragma once

#include <string>

#include "flatland/training/model.h"

namespace flatland::analysis {

struct Rescaling {
  std::string weight, bias, next;  // the parameters changed (bias empty when the layer has none)
};

// `layer` is a module prefix such as "layers.1" (parameters "layers.1.weight" and maybe
// "layers.1.bias"). The next parameter after them in the model's order must be another weight of
// two or more dimensions (a BatchNorm between them would undo the scaling). Throws InvalidArgument
// naming the layers there are. The caller checks that the outputs are unchanged: only it knows
// the activation is a ReLU.
Rescaling rescaleLayer(training::Model& model, const std::string& layer, double alpha);

}  // namespace flatland::analysis
