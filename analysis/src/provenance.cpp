#include "flatland/analysis/provenance.h"

#include <cstdio>
#include <exception>
#include <string>

#include "flatland/training/model_spec.h"
#include "flatland/version.h"

namespace flatland::analysis {

namespace {

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

training::Attributes Provenance::toAttributes() const {
  if (!modelIdentity) {
    try {
      modelIdentity = training::identifyModel(model);
    } catch (const std::exception&) {
      // The model loaded, so this is a file changed or removed since: record the spec alone
      // rather than fail the analysis; it is tried again with the next attributes.
    }
  }
  training::Attributes attributes = {{"kind", kind},
                                     {"model", model},
                                     {"data", data},
                                     {"samples", samples},
                                     {"seed", static_cast<int64_t>(seed)},
                                     {"device", device},
                                     {"settings", settingsJson},
                                     {"created", training::isoTimestampUtc()},
                                     {"flatland_version", std::string(FLATLAND_VERSION)}};
  if (modelIdentity) {
    if (modelIdentity->checkpointEpoch) attributes["model_epoch"] = *modelIdentity->checkpointEpoch;
    if (modelIdentity->fileBytes) attributes["model_file_bytes"] = *modelIdentity->fileBytes;
    if (modelIdentity->fileFnv1a64) attributes["model_file_fnv1a64"] = hex64(*modelIdentity->fileFnv1a64);
  }
  return attributes;
}

Provenance Provenance::fromAttributes(const training::Attributes& attributes) {
  training::Node node;
  node.attributes = attributes;
  Provenance p;
  auto textOr = [&](const char* key) { return node.has(key) ? node.text(key) : std::string(); };
  p.kind = textOr("kind");
  p.model = textOr("model");
  p.data = textOr("data");
  p.device = textOr("device");
  p.settingsJson = textOr("settings");
  p.samples = node.has("samples") ? int64_t(node.number("samples")) : -1;
  p.seed = node.has("seed") ? uint64_t(node.number("seed")) : 0;
  if (node.has("model_epoch") || node.has("model_file_bytes") || node.has("model_file_fnv1a64")) {
    training::ModelIdentity identity;
    if (node.has("model_epoch")) identity.checkpointEpoch = int64_t(node.number("model_epoch"));
    if (node.has("model_file_bytes")) identity.fileBytes = int64_t(node.number("model_file_bytes"));
    if (node.has("model_file_fnv1a64")) {
      try {
        identity.fileFnv1a64 = std::stoull(node.text("model_file_fnv1a64"), nullptr, 16);
      } catch (const std::exception&) {
        // not written by Flatland: leave the hash out
      }
    }
    p.modelIdentity = identity;
  }
  return p;
}

std::string newAnalysisPath(const training::ProjectFile& project, const std::string& kind,
                            const std::string& name) {
  std::string base = "/analyses/" + training::sanitizeName(name.empty() ? kind + "-" + training::isoTimestampUtc() : name);
  std::string path = base;
  for (int n = 2; project.exists(path); ++n) path = base + "-" + std::to_string(n);
  return path;
}

}  // namespace flatland::analysis
