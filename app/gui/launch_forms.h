// Forms that launch jobs: training, Hessian analysis, loss surface, quantization sweep. Each
// validates as the user types, says what is wrong next to the Run button, and has defaults that
// give a result on a first press of Run.
#pragma once

#include <QString>
#include <QWidget>

#include <functional>

#include "job_queue.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace flatland::training {
struct TrainConfig;
}

namespace flatland::app {

struct ModelDataSettings;

// Model, data, samples, device and seed: the part every job form shares.
class ModelDataFields : public QObject {
  Q_OBJECT
 public:
  ModelDataFields(QFormLayout* form, const QString& defaultData, int defaultSamples, QObject* parent);
  // Empty when valid; otherwise what is wrong, in words a user can act on.
  QString problem() const;
  ModelDataSettings settings() const;
  void setModel(const QString& spec);
  QComboBox* model = nullptr;
  QComboBox* data = nullptr;
  QSpinBox* samples = nullptr;
  QComboBox* device = nullptr;
  QSpinBox* seed = nullptr;

 Q_SIGNALS:
  void changed();
};

// Base of the forms: a form layout, a problem label and a Run button enabled only when valid.
class LaunchForm : public QWidget {
  Q_OBJECT
 public:
  using ProjectPathGetter = std::function<QString()>;
  LaunchForm(ProjectPathGetter projectPath, QWidget* parent);
  // Empty when the form can run.
  virtual QString problem() const = 0;
  // The job for the current values; call only when problem() is empty.
  virtual JobRequest job() const = 0;
  QPushButton* runButton() const { return m_run; }
  // Re-checks the values (after the project changed, for instance) and updates the message.
  void revalidate();
  QLabel* problemLabel() const { return m_problem; }

 Q_SIGNALS:
  void submitted(const JobRequest& job);

 protected:
  void finishLayout();  // adds the problem label and Run button; call at the end of a constructor
  QString projectPath() const { return m_projectPath(); }
  QFormLayout* m_form = nullptr;

 private:
  ProjectPathGetter m_projectPath;
  QLabel* m_problem = nullptr;
  QPushButton* m_run = nullptr;
};

class TrainForm : public LaunchForm {
  Q_OBJECT
 public:
  TrainForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  // Names the run after its optimizer, numbered past the runs the project already has.
  void suggestFreeRunName();
  QString problem() const override;
  JobRequest job() const override;
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

  // "More settings", folded away by default: the rest of the CLI's train options.
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

 private:
  void enableForOptimizer(const QString& name);
  training::TrainConfig config() const;
};

class HessianForm : public LaunchForm {
  Q_OBJECT
 public:
  HessianForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  ModelDataFields* input = nullptr;
  QSpinBox* topK = nullptr;
  QSpinBox* bottomK = nullptr;
  QCheckBox* trace = nullptr;
  QCheckBox* density = nullptr;
  QCheckBox* perClass = nullptr;
  QLineEdit* batchSweep = nullptr;
  QLineEdit* name = nullptr;
};

class SurfaceForm : public LaunchForm {
  Q_OBJECT
 public:
  SurfaceForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  ModelDataFields* input = nullptr;
  QComboBox* directions = nullptr;
  QLineEdit* grid = nullptr;
  QComboBox* norm = nullptr;
  QLineEdit* second = nullptr;  // the other model (interpolation) or run (PCA)
  QComboBox* testData = nullptr;  // empty: the surface holds the data's loss only
  QLineEdit* name = nullptr;
};

class QuantizeForm : public LaunchForm {
  Q_OBJECT
 public:
  QuantizeForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  ModelDataFields* input = nullptr;
  QSpinBox* lowBits = nullptr;
  QSpinBox* highBits = nullptr;
  QDoubleSpinBox* hawqBits = nullptr;  // 0: no mixed precision
  QLineEdit* name = nullptr;
};

}  // namespace flatland::app
