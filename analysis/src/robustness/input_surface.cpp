#include "flatland/analysis/input_surface.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/types.h>

#include <cmath>

#include "accuracy_tally.h"
#include "flatland/errors.h"

namespace flatland::analysis {

InputSurface inputSurface(training::Model& model, const training::Dataset& data,
                          const InputSpace& space, const InputSurfaceOptions& o, int64_t batchSize,
                          const JobControl& control) {
  if (o.sample < 0 || o.sample >= data.size())
    throw InvalidArgument("the surface sample " + std::to_string(o.sample) +
                          " is outside the data (0 to " + std::to_string(data.size() - 1) + ")");
  if (!(o.radius > 0) || o.points < 2 || batchSize <= 0)
    throw InvalidArgument(
        "the input surface needs a positive radius and at least 2 points per axis");
  training::EvalModeScope evalMode(model);
  const auto device = model.device();
  auto x = data.inputs.slice(0, o.sample, o.sample + 1).to(device, model.dtype());
  auto y = data.labels.slice(0, o.sample, o.sample + 1).to(device);
  auto u = space.fromData(x).detach().requires_grad_(true);
  auto loss = perSampleCrossEntropy(model.forward(space.toData(u)), y).sum();
  auto g = torch::autograd::grad({loss}, {u})[0].detach().flatten().to(torch::kDouble);
  const int64_t n = g.numel();
  const double norm = std::sqrt(double(n));

  auto d1 = g.sign();
  if (d1.abs().sum().item<double>() == 0) d1 = torch::ones_like(d1);  // flat: any direction
  d1 = d1 / d1.norm() * norm;
  auto gen = at::detail::createCPUGenerator(o.seed);
  auto d2 = torch::randn({n}, gen, torch::TensorOptions().dtype(torch::kDouble)).to(device);
  d2 = d2 - (d2 * d1).sum() / (d1 * d1).sum() * d1;
  d2 = d2 / d2.norm() * norm;

  InputSurface out;
  out.sample = o.sample;
  out.label = y.item<int64_t>();
  out.directionNorm = norm;
  for (int64_t i = 0; i < o.points; ++i)
    out.axis.push_back(-o.radius + 2.0 * o.radius * double(i) / double(o.points - 1));
  auto axis = torch::tensor(out.axis, torch::TensorOptions().dtype(torch::kDouble)).to(device);
  // Every grid point as one row: (a_i, b_j) for i over the adversarial axis, j over the random.
  auto a = axis.view({-1, 1}).expand({o.points, o.points}).reshape({-1, 1});
  auto b = axis.view({1, -1}).expand({o.points, o.points}).reshape({-1, 1});
  const auto base = u.detach().flatten().to(torch::kDouble);
  const int64_t total = o.points * o.points;
  torch::NoGradGuard noGrad;
  for (int64_t start = 0; start < total; start += batchSize) {
    control.throwIfCancelled();
    const int64_t end = std::min(total, start + batchSize);
    auto points = base + a.slice(0, start, end) * d1 + b.slice(0, start, end) * d2;
    std::vector<int64_t> shape = u.sizes().vec();
    shape[0] = end - start;
    auto inputs = space.toData(points.to(model.dtype()).view(shape));
    auto logits = model.forward(inputs);
    auto losses = perSampleCrossEntropy(logits, y.expand({end - start})).to(torch::kDouble).cpu();
    auto predicted = logits.argmax(1).cpu();
    for (int64_t k = 0; k < end - start; ++k) {
      out.loss.push_back(losses[k].item<double>());
      out.predictions.push_back(predicted[k].item<int64_t>());
    }
    control.report(ProgressEvent{double(end) / double(total), "input surface", {}});
  }
  auto image = space.dataToPixels(x).detach().to(torch::kCPU, torch::kFloat).contiguous();
  out.image.assign(image.data_ptr<float>(), image.data_ptr<float>() + image.numel());
  out.imageShape = {image.sizes().begin() + 1, image.sizes().end()};
  return out;
}

}  // namespace flatland::analysis
