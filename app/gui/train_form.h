// The Train form: the settings of training::trainSettings() as widgets, the common ones on top
// and the rest folded under "More settings", and a run recorded in the open project.
#pragma once

#include "launch_form.h"
#include "model_data_fields.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace flatland::training {
struct TrainConfig;
}

namespace flatland::app {

class TrainForm : public LaunchForm {
  Q_OBJECT
 public:
  TrainForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  // Names the run after its optimizer, numbered past the runs the project already has.
  void suggestFreeRunName();
  QString problem() const override;
  JobRequest job() const override;
  // The run the current values describe.
  training::TrainConfig config() const;

  ModelDataFields* input = nullptr;
  QComboBox* testData = nullptr;
  QComboBox* optimizer = nullptr;
  QDoubleSpinBox* learningRate = nullptr;
  QSpinBox* epochs = nullptr;
  QSpinBox* batchSize = nullptr;
  QDoubleSpinBox* rho = nullptr;
  QDoubleSpinBox* labelNoise = nullptr;
  QDoubleSpinBox* imbalance = nullptr;
  QSpinBox* qatBits = nullptr;
  QSpinBox* qatActivationBits = nullptr;
  QComboBox* qatMethod = nullptr;
  QLineEdit* runName = nullptr;

  // "More settings", folded away by default: the rest of the train settings.
  QPushButton* moreToggle = nullptr;
  QWidget* more = nullptr;
  QComboBox* base = nullptr;  // under the SAM family: sgd or adamw
  QDoubleSpinBox* momentum = nullptr;
  QCheckBox* nesterov = nullptr;
  QDoubleSpinBox* weightDecay = nullptr;
  QComboBox* schedule = nullptr;
  QSpinBox* warmup = nullptr;
  QLineEdit* milestones = nullptr;
  QDoubleSpinBox* gamma = nullptr;
  QDoubleSpinBox* asamEta = nullptr;
  QSpinBox* mSharpness = nullptr;  // 0: a quarter of the batch
  QDoubleSpinBox* gnpR = nullptr;
  QDoubleSpinBox* gnpAlpha = nullptr;
  QDoubleSpinBox* heroLambda = nullptr;
  QSpinBox* swaStart = nullptr;  // 0: 75% of the epochs
  QComboBox* loss = nullptr;
  QSpinBox* drwEpoch = nullptr;
  QSpinBox* checkpointEvery = nullptr;
};

}  // namespace flatland::app
