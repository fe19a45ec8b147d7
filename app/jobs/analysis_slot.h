// What every analysis job does around its computation: the provenance that makes it
// reproducible, and a group /analyses/NAME reserved in the project (marked incomplete while the
// job runs) that the result replaces in one commit. Free of LibTorch.
#pragma once

#include <optional>
#include <string>

#include "flatland/analysis/provenance.h"
#include "flatland/training/project_file.h"
#include "jobs.h"

namespace flatland::app {

// kind, the model/data/seed of `input`, the device the job runs on and its settings JSON.
analysis::Provenance jobProvenance(const std::string& kind, const ModelDataSettings& input,
                                   const std::string& device, const std::string& settingsJson);

class AnalysisSlot {
 public:
  // With an empty projectPath nothing is stored: path() is empty and store() does nothing.
  AnalysisSlot(const std::string& projectPath, const std::string& kind, const std::string& name,
               const analysis::Provenance& provenance);
  const std::string& path() const { return m_path; }
  void store(const training::Node& node) const;

 private:
  std::optional<training::ProjectFile> m_project;
  std::string m_path;
};

}  // namespace flatland::app
