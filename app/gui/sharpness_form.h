// The sharpness form: weight-space sharpness measures of a model, or with "Compare runs" the
// generalisation table of several runs, from the settings of sharpnessSettings(), stored in the
// open project.
#pragma once

#include "jobs.h"
#include "launch_form.h"
#include "model_data_fields.h"
#include "sharpness_job.h"

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace flatland::app {

class SharpnessForm : public LaunchForm {
  Q_OBJECT
 public:
  SharpnessForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  SharpnessJobSettings settings() const;

  ModelDataFields* input = nullptr;
  QLineEdit* testData = nullptr;
  QLineEdit* runs = nullptr;  // NAME,NAME: the generalisation table of these runs
  QLineEdit* rho = nullptr;
  QComboBox* norm = nullptr;
  QCheckBox* adaptive = nullptr;
  QLineEdit* name = nullptr;
};

}  // namespace flatland::app
