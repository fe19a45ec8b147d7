// The quantization form: a sweep of weight bit widths (lowest to highest) and optionally a HAWQ
// mixed-precision model, from the settings of quantizeSettings(), stored in the open project.
#pragma once

#include "jobs.h"
#include "launch_form.h"
#include "model_data_fields.h"

class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace flatland::app {

class QuantizeForm : public LaunchForm {
  Q_OBJECT
 public:
  QuantizeForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  QuantizeJobSettings settings() const;

  ModelDataFields* input = nullptr;
  // The "bits" setting (a range such as 2-8) as two spin boxes in a row named "bits".
  QSpinBox* lowBits = nullptr;
  QSpinBox* highBits = nullptr;
  QDoubleSpinBox* hawqBits = nullptr;  // 0: no mixed precision
  QLineEdit* name = nullptr;
};

}  // namespace flatland::app
