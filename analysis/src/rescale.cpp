#include "flatland/analysis/rescale.h"

#include <torch/types.h>

#include <cmath>

#include "flatland/errors.h"

namespace flatland::analysis {

Rescaling rescaleLayer(training::Model& model, const std::string& layer, double alpha) {
  if (!(alpha > 0) || !std::isfinite(alpha))
    throw InvalidArgument(
        "the rescaling factor alpha must be positive (a ReLU commutes only with positive scaling), "
        "got " +
        std::to_string(alpha));
  auto params = model.namedParameters();
  std::string layers;
  for (const auto& p : params)
    if (p.tensor.dim() >= 2 && p.name.size() > 7 &&
        p.name.compare(p.name.size() - 7, 7, ".weight") == 0)
      layers += (layers.empty() ? "" : ", ") + p.name.substr(0, p.name.size() - 7);
  size_t i = 0;
  while (i < params.size() && params[i].name != layer + ".weight") ++i;
  if (i == params.size() || params[i].tensor.dim() < 2)
    throw InvalidArgument("the model has no weight layer '" + layer + "' (its layers: " + layers +
                          ")");
  Rescaling out;
  out.weight = params[i].name;
  torch::NoGradGuard noGrad;
  params[i].tensor.mul_(alpha);
  size_t next = i + 1;
  if (next < params.size() && params[next].name == layer + ".bias") {
    out.bias = params[next].name;
    params[next].tensor.mul_(alpha);
    ++next;
  }
  if (next == params.size() || params[next].tensor.dim() < 2) {
    // Undo before throwing: the model is the caller's.
    params[i].tensor.div_(alpha);
    if (!out.bias.empty()) params[i + 1].tensor.div_(alpha);
    throw InvalidArgument(
        "layer '" + layer + "' is " +
        (next == params.size() ? std::string("the last layer")
                               : "followed by '" + params[next].name + "', not a weight layer") +
        ": rescaling needs a layer → ReLU → next layer (its layers: " + layers + ")");
  }
  out.next = params[next].name;
  params[next].tensor.div_(alpha);
  return out;
}

}  // namespace flatland::analysis
