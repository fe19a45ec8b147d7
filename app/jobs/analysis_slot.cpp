#include "analysis_slot.h"

#include "flatland/training/project_schema.h"

namespace flatland::app {

analysis::Provenance jobProvenance(const std::string& kind, const ModelDataSettings& input,
                                   const std::string& device, const std::string& settingsJson) {
  analysis::Provenance p;
  p.kind = kind;
  p.model = input.model;
  p.data = input.data;
  p.samples = input.samples > 0 ? input.samples : -1;
  p.seed = input.seed;
  p.device = device;
  p.settingsJson = settingsJson;
  return p;
}

AnalysisSlot::AnalysisSlot(const std::string& projectPath, const std::string& kind,
                           const std::string& name, const analysis::Provenance& provenance) {
  if (projectPath.empty()) return;
  m_project = training::ProjectFile::openOrCreate(projectPath);
  m_path = analysis::newAnalysisPath(*m_project, kind, name);
  auto attributes = provenance.toAttributes();
  attributes[schema::kComplete] = int64_t(0);
  m_project->setAttributes(m_path, attributes);  // visible as incomplete while the job runs
}

void AnalysisSlot::store(const training::Node& node) const {
  if (m_project) m_project->put(m_path, node);
}

}  // namespace flatland::app
