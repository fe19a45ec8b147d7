#include "flatland/training/model_spec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"

namespace flatland::training {

int64_t resolveCheckpointEpoch(const ProjectFile& project, const ModelSpec& spec) {
  if (!project.exists(schema::runPath(spec.run)))
    throw ProjectError(spec.name + " has no run named '" + spec.run + "'");
  auto epochs = checkpointEpochs(project, spec.run);
  if (epochs.empty())
    throw ProjectError("run '" + spec.run + "' in " + spec.name + " has no checkpoints");
  const int64_t epoch = spec.epoch.value_or(epochs.back());
  if (std::find(epochs.begin(), epochs.end(), epoch) == epochs.end())
    throw ProjectError("run '" + spec.run + "' has no checkpoint at epoch " +
                       std::to_string(epoch) + " (it has epochs " + std::to_string(epochs.front()) +
                       " … " + std::to_string(epochs.back()) + ")");
  return epoch;
}

uint64_t fileFnv1a64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError("cannot read " + path + " to identify the model");
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64-bit offset basis
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash ^= static_cast<unsigned char>(buffer[size_t(i)]);
      hash *= 0x100000001b3ULL;  // FNV 64-bit prime
    }
  }
  if (in.bad()) throw ModelError("cannot read " + path + " to identify the model");
  return hash;
}

ModelIdentity identifyModel(const std::string& text) {
  auto spec = ModelSpec::parse(text);
  ModelIdentity identity;
  if (spec.kind == ModelSpec::Kind::Checkpoint) {
    identity.checkpointEpoch = resolveCheckpointEpoch(ProjectFile::open(spec.name), spec);
  } else if (spec.kind == ModelSpec::Kind::TorchScript) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(spec.name, ec);
    if (ec)
      throw ModelError("cannot read " + spec.name + " to identify the model: " + ec.message());
    identity.fileBytes = int64_t(bytes);
    identity.fileFnv1a64 = fileFnv1a64(spec.name);
  }
  return identity;
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
      const std::string runPath = schema::runPath(spec.run);
      if (!project.exists(runPath))
        throw ProjectError(spec.name + " has no run named '" + spec.run + "'");
      auto run = project.read(runPath, false);
      const int64_t epoch = resolveCheckpointEpoch(project, spec);
      auto base = run.text(schema::kModel);
      if (ModelSpec::parse(base).kind == ModelSpec::Kind::Checkpoint)
        throw ProjectError("run '" + spec.run +
                           "' records a checkpoint as its model; expected zoo:NAME or a .pt file");
      model = loadModel(base, shape, device, seed);
      auto checkpoint = project.read(checkpointPath(spec.run, epoch));
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
