// The mode-connectivity form: the straight line and a trained curve between the model above and
// a second one, from the settings of connectSettings(), stored in the open project.
#pragma once

#include "connect_job.h"
#include "launch_form.h"
#include "model_data_fields.h"

class QComboBox;
class QLineEdit;

namespace flatland::app {

class ConnectForm : public LaunchForm {
  Q_OBJECT
 public:
  ConnectForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  ConnectJobSettings settings() const;

  ModelDataFields* input = nullptr;  // the first model and the data
  QLineEdit* to = nullptr;           // the second model
  QComboBox* curve = nullptr;
  QLineEdit* testData = nullptr;
  QLineEdit* name = nullptr;
};

}  // namespace flatland::app
