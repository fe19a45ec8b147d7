#include "flatland/training/model_spec.h"

#include <filesystem>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/project_file.h"

namespace flatland::training {

std::unique_ptr<Model> loadModel(const std::string& text, const ModelShape& shape,
                                 const c10::Device& device, uint64_t seed) {
  auto spec = ModelSpec::parse(text);
  std::unique_ptr<Model> model;
  switch (spec.kind) {
    case ModelSpec::Kind::Zoo:
      model = makeZooModel(spec.name, shape, seed);
      model->to(device);
      break;
    case ModelSpec::Kind::TorchScript:
      model = loadTorchScriptModel(spec.name, device);
      break;
    case ModelSpec::Kind::Checkpoint: {
      auto project = ProjectFile::open(spec.name);
      const std::string runPath = "/runs/" + spec.run;
      if (!project.exists(runPath))
        throw ProjectError(spec.name + " has no run named '" + spec.run + "'");
      auto run = project.read(runPath, false);
      auto epochs = checkpointEpochs(project, spec.run);
      if (epochs.empty()) throw ProjectError("run '" + spec.run + "' in " + spec.name + " has no checkpoints");
      int64_t epoch = spec.epoch.value_or(epochs.back());
      if (std::find(epochs.begin(), epochs.end(), epoch) == epochs.end())
        throw ProjectError("run '" + spec.run + "' has no checkpoint at epoch " + std::to_string(epoch) +
                           " (it has epochs " + std::to_string(epochs.front()) + " … " +
                           std::to_string(epochs.back()) + ")");
      auto base = run.text("model");
      if (ModelSpec::parse(base).kind == ModelSpec::Kind::Checkpoint)
        throw ProjectError("run '" + spec.run + "' records a checkpoint as its model; expected zoo:NAME or a .pt file");
      model = loadModel(base, shape, device, seed);
      auto checkpoint = project.read(runPath + "/checkpoints/" + checkpointName(epoch));
      model->to(c10::Device(c10::kCPU));
      loadCheckpoint(*model, checkpoint);
      model->to(device);
      break;
    }
  }
  checkModelFitsData(*model, shape);
  return model;
}

}  // namespace flatland::training
