// The Hessian form: the settings of hessianSettings() as widgets (eigenvalues, trace, density,
// per-class spectra, batch-size sweep on top, the rest under "More settings"), stored as an
// analysis of the open project.
#pragma once

#include "jobs.h"
#include "launch_form.h"
#include "model_data_fields.h"

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace flatland::app {

class HessianForm : public LaunchForm {
  Q_OBJECT
 public:
  HessianForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  // The job settings the current values describe (the project path included).
  HessianJobSettings settings() const;

  ModelDataFields* input = nullptr;
  QSpinBox* topK = nullptr;
  QSpinBox* bottomK = nullptr;
  QCheckBox* trace = nullptr;
  QCheckBox* density = nullptr;
  QCheckBox* perClass = nullptr;
  QDoubleSpinBox* imbalance = nullptr;  // the long tail of a long-tailed run's training
  QLineEdit* batchSweep = nullptr;
  QLineEdit* name = nullptr;
};

}  // namespace flatland::app
