// What made an analysis: stored with every result so it can be reproduced exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "flatland/training/project_file.h"
#include "flatland/training/specs.h"

namespace flatland::analysis {

struct Provenance {
  std::string kind;      // "hessian", "surface", "quantize", ...
  std::string model;     // model spec
  std::string data;      // data spec
  int64_t samples = -1;  // -1: the whole set
  uint64_t seed = 0;
  std::string device;        // "cpu", "cuda:0"
  std::string settingsJson;  // every setting of the job, as JSON
  // What `model` resolved to: the checkpoint epoch of PROJECT.h5:/runs/NAME (the latest when the
  // spec has no @EPOCH), or the size and FNV-1a hash of a TorchScript file. When not set, the
  // first toAttributes() resolves it from `model` and keeps it: jobs make the attributes right
  // after loading the model, so a checkpoint saved later does not change what is recorded.
  mutable std::optional<training::ModelIdentity> modelIdentity{};

  // Attributes of an analysis group: these fields plus created time and Flatland version;
  // model_epoch, model_file_bytes and model_file_fnv1a64 (16 hex digits) where they apply.
  training::Attributes toAttributes() const;
  static Provenance fromAttributes(const training::Attributes& attributes);
};

// A fresh analysis group path, /analyses/<kind>-<UTC time>[-n], that does not exist yet.
std::string newAnalysisPath(const training::ProjectFile& project, const std::string& kind,
                            const std::string& name = "");

}  // namespace flatland::analysis
