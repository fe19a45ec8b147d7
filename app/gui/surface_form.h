// The surface form: a loss surface around a model along random, eigenvector, PCA or
// interpolation directions, from the settings of surfaceSettings(), stored in the open project.
#pragma once

#include "jobs.h"
#include "launch_form.h"
#include "model_data_fields.h"

class QComboBox;
class QLineEdit;

namespace flatland::app {

class SurfaceForm : public LaunchForm {
  Q_OBJECT
 public:
  SurfaceForm(ProjectPathGetter projectPath, QWidget* parent = nullptr);
  QString problem() const override;
  JobRequest job() const override;
  // The job settings the current values describe (the batch size left to the device).
  SurfaceJobSettings settings() const;

  ModelDataFields* input = nullptr;
  QComboBox* directions = nullptr;
  QLineEdit* grid = nullptr;
  QComboBox* norm = nullptr;
  // Where the directions come from; only the one the directions read is enabled.
  QLineEdit* fromAnalysis =
      nullptr;  // random: a surface to share directions with; eigen: a Hessian analysis
  QLineEdit* run = nullptr;       // pca: the run whose checkpoints make the trajectory
  QLineEdit* to = nullptr;        // interp: the second model
  QLineEdit* dirFile = nullptr;   // loss-landscape: its direction file
  QComboBox* testData = nullptr;  // empty: the surface holds the data's loss only
  QLineEdit* name = nullptr;

 private:
  void enableForDirections(const QString& kind);
};

}  // namespace flatland::app
