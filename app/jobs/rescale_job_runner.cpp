// The rescaling job (Dinh et al. 2017): the same function with a ReLU layer scaled by α and the
// next by 1/α, written as a run with one checkpoint so that PROJECT.h5:/runs/RUN loads it.
#include <torch/types.h>

#include <algorithm>

#include "flatland/analysis/rescale.h"
#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/specs.h"
#include "job_inputs.h"
#include "sharpness_job.h"

namespace flatland::app {

RescaleJobResult runRescaleJob(const RescaleJobSettings& s) {
  if (s.projectPath.empty())
    throw InvalidArgument("--out: choose the project file to write the rescaled model to");
  if (s.layer.empty()) throw InvalidArgument("--layer: name the layer to rescale, e.g. layers.1");
  if (s.run.empty() || training::sanitizeName(s.run) != s.run)
    throw InvalidArgument("--run: '" + s.run +
                          "' is not a valid run name (letters, digits, '-', '_', '.')");
  auto inputs = loadInputs(s.input);
  // The architecture a checkpoint run records: the spec it was built from (zoo or TorchScript).
  std::string base = s.input.model;
  const auto spec = training::ModelSpec::parse(s.input.model);
  if (spec.kind == training::ModelSpec::Kind::Checkpoint)
    base = training::ProjectFile::open(spec.name)
               .read(schema::runPath(spec.run), false)
               .text(schema::kModel);
  auto project = training::ProjectFile::openOrCreate(s.projectPath);
  const std::string runPath = schema::runPath(s.run);
  if (project.exists(runPath))
    throw ProjectError(s.projectPath + " already has a run named '" + s.run +
                       "': choose another --run");

  auto& model = *inputs.model;
  model.setTraining(false);
  at::Tensor before;
  {
    torch::NoGradGuard noGrad;
    before = model.forward(inputs.data.inputs.to(model.device(), model.dtype()));
  }
  const auto change = analysis::rescaleLayer(model, s.layer, s.alpha);
  at::Tensor after;
  {
    torch::NoGradGuard noGrad;
    after = model.forward(inputs.data.inputs.to(model.device(), model.dtype()));
  }
  RescaleJobResult r;
  r.weight = change.weight;
  r.bias = change.bias;
  r.next = change.next;
  const double scale = std::max(before.abs().max().item<double>(), 1e-30);
  r.maxOutputChange = (after - before).abs().max().item<double>() / scale;
  // Rounding of α·w and w/α in the model's precision, through a few layers: far below these.
  const double tolerance = model.dtype() == c10::kDouble ? 1e-10 : 1e-5;
  if (!(r.maxOutputChange <= tolerance))
    throw ModelError(
        "rescaling '" + s.layer + "' changed the outputs by " + std::to_string(r.maxOutputChange) +
        " (relative): the layer is not followed by a ReLU (and max/average pooling) before '" +
        change.next + "'; choose a layer that is");

  training::Node run;
  run.attributes = {{schema::kModel, base},
                    {schema::kStatus, std::string("finished")},
                    {schema::kOptimizer, std::string("none")},
                    {schema::kEpochsDone, int64_t(0)},
                    {schema::kRescaledFrom, s.input.model},
                    {schema::kRescaledLayer, s.layer},
                    {schema::kRescaleAlpha, s.alpha},
                    {schema::kCreated, training::isoTimestampUtc()}};
  model.to(c10::Device(c10::kCPU));
  run.groups[schema::kCheckpoints].groups[training::checkpointName(0)] =
      training::checkpointNode(model, 0);
  project.put(runPath, run);
  r.model = s.projectPath + ":" + runPath;
  return r;
}

}  // namespace flatland::app
