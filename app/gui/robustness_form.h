// The robustness form: attacks and radii, input curvature, noise corruptions and the input-space
// surface around a sample, from the settings of robustnessSettings(), stored in the open project.
#pragma once

#include "jobs.h"
#include "launch_form.h"
#include "model_data_fields.h"

class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace flatland::app {

class RobustnessForm : public LaunchForm {
  Q_OBJECT
 public:
  RobustnessForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  RobustnessJobSettings settings() const;

  ModelDataFields* input = nullptr;
  QLineEdit* attacks = nullptr;
  QLineEdit* eps = nullptr;
  QCheckBox* inputCurvature = nullptr;
  QCheckBox* corruptions = nullptr;
  QSpinBox* surfaceSample = nullptr;  // -1: no input-space surface
  QLineEdit* name = nullptr;
};

}  // namespace flatland::app
