// What made an analysis: stored with every result so it can be reproduced exactly.
#pragma once

#include <cstdint>
#include <string>

#include "flatland/training/project_file.h"

namespace flatland::analysis {

struct Provenance {
  std::string kind;      // "hessian", "surface", "quantize", ...
  std::string model;     // model spec
  std::string data;      // data spec
  int64_t samples = -1;  // -1: the whole set
  uint64_t seed = 0;
  std::string device;        // "cpu", "cuda:0"
  std::string settingsJson;  // every setting of the job, as JSON

  // Attributes of an analysis group: these fields plus created time and Flatland version.
  training::Attributes toAttributes() const;
  static Provenance fromAttributes(const training::Attributes& attributes);
};

// A fresh analysis group path, /analyses/<kind>-<UTC time>[-n], that does not exist yet.
std::string newAnalysisPath(const training::ProjectFile& project, const std::string& kind,
                            const std::string& name = "");

}  // namespace flatland::analysis
