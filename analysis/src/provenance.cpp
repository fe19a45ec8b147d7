#include "flatland/analysis/provenance.h"

#include "flatland/version.h"

namespace flatland::analysis {

training::Attributes Provenance::toAttributes() const {
  return {{"kind", kind},
          {"model", model},
          {"data", data},
          {"samples", samples},
          {"seed", static_cast<int64_t>(seed)},
          {"device", device},
          {"settings", settingsJson},
          {"created", training::isoTimestampUtc()},
          {"flatland_version", std::string(FLATLAND_VERSION)}};
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
