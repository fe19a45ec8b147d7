#include "flatland/analysis/provenance.h"

#include <cstdio>
#include <exception>
#include <string>

#include "flatland/training/model_spec.h"
#include "flatland/training/project_schema.h"
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
  training::Attributes attributes = {{schema::kKind, kind},
                                     {schema::kModel, model},
                                     {schema::kData, data},
                                     {schema::kSamples, samples},
                                     {schema::kSeed, static_cast<int64_t>(seed)},
                                     {schema::kDevice, device},
                                     {schema::kSettings, settingsJson},
                                     {schema::kCreated, training::isoTimestampUtc()},
                                     {schema::kFlatlandVersion, std::string(FLATLAND_VERSION)}};
  if (modelIdentity) {
    if (modelIdentity->checkpointEpoch)
      attributes[schema::kModelEpoch] = *modelIdentity->checkpointEpoch;
    if (modelIdentity->fileBytes) attributes[schema::kModelFileBytes] = *modelIdentity->fileBytes;
    if (modelIdentity->fileFnv1a64)
      attributes[schema::kModelFileFnv1a64] = hex64(*modelIdentity->fileFnv1a64);
  }
  return attributes;
}

Provenance Provenance::fromAttributes(const training::Attributes& attributes) {
  training::Node node;
  node.attributes = attributes;
  Provenance p;
  auto textOr = [&](const char* key) { return node.has(key) ? node.text(key) : std::string(); };
  p.kind = textOr(schema::kKind);
  p.model = textOr(schema::kModel);
  p.data = textOr(schema::kData);
  p.device = textOr(schema::kDevice);
  p.settingsJson = textOr(schema::kSettings);
  p.samples = node.has(schema::kSamples) ? int64_t(node.number(schema::kSamples)) : -1;
  p.seed = node.has(schema::kSeed) ? uint64_t(node.number(schema::kSeed)) : 0;
  if (node.has(schema::kModelEpoch) || node.has(schema::kModelFileBytes) ||
      node.has(schema::kModelFileFnv1a64)) {
    training::ModelIdentity identity;
    if (node.has(schema::kModelEpoch))
      identity.checkpointEpoch = int64_t(node.number(schema::kModelEpoch));
    if (node.has(schema::kModelFileBytes))
      identity.fileBytes = int64_t(node.number(schema::kModelFileBytes));
    if (node.has(schema::kModelFileFnv1a64)) {
      try {
        identity.fileFnv1a64 = std::stoull(node.text(schema::kModelFileFnv1a64), nullptr, 16);
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
  std::string base = schema::analysisPath(
      training::sanitizeName(name.empty() ? kind + "-" + training::isoTimestampUtc() : name));
  std::string path = base;
  for (int n = 2; project.exists(path); ++n) path = base + "-" + std::to_string(n);
  return path;
}

}  // namespace flatland::analysis
