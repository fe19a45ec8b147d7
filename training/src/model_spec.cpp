#include "flatland/training/model_spec.h"

#include <filesystem>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/project_file.h"

namespace flatland::training {

namespace {
bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

ModelSpec ModelSpec::parse(const std::string& text) {
  ModelSpec spec;
  spec.text = text;
  if (text.rfind("zoo:", 0) == 0) {
    spec.kind = Kind::Zoo;
    spec.name = text.substr(4);
    return spec;
  }
  // project.h5:/runs/NAME[@EPOCH]
  auto marker = text.find(":/runs/");
  if (marker != std::string::npos) {
    spec.kind = Kind::Checkpoint;
    spec.name = text.substr(0, marker);
    std::string run = text.substr(marker + 7);
    auto at = run.find('@');
    if (at != std::string::npos) {
      try {
        spec.epoch = std::stoll(run.substr(at + 1));
      } catch (const std::exception&) {
        throw InvalidArgument("bad model spec '" + text + "': the epoch after '@' must be a number");
      }
      run = run.substr(0, at);
    }
    if (run.empty()) throw InvalidArgument("bad model spec '" + text + "': name the run");
    spec.run = run;
    return spec;
  }
  if (endsWith(text, ".h5"))
    throw InvalidArgument("bad model spec '" + text + "': name a run in the project, as " + text +
                          ":/runs/NAME[@EPOCH]");
  if (text.empty())
    throw InvalidArgument("empty model spec (expected zoo:NAME, a TorchScript .pt file, or "
                          "PROJECT.h5:/runs/NAME[@EPOCH])");
  spec.kind = Kind::TorchScript;
  spec.name = text;
  return spec;
}

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
