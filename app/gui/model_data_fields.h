// The model, data, samples, device and seed rows every job form shares, made from the input
// settings of the form's table (model, data, samples, device, seed).
#pragma once

#include <QObject>
#include <QString>

#include <vector>

#include "flatland/training/settings.h"

class QComboBox;
class QFormLayout;
class QSpinBox;

namespace flatland::app {

struct ModelDataSettings;

// Checks a data spec and the files it names; empty when fine.
QString dataProblem(const QString& text);
// Checks a model spec and the file it names; empty when fine.
QString modelProblem(const QString& text);
// The data specs the data combos offer.
QStringList knownDataSpecs();
// The models a project holds, as model specs: each run ("P.h5:/runs/NAME", its last weights) and
// each of its checkpoints ("P.h5:/runs/NAME@EPOCH"). Empty when the project cannot be read.
QStringList projectModelSpecs(const QString& projectPath);

class ModelDataFields : public QObject {
  Q_OBJECT
 public:
  // `table`: the form's settings; the rows of model, data, samples, device and seed are made
  // from their entries.
  ModelDataFields(QFormLayout* form, const std::vector<settings::Setting>& table, QObject* parent);
  // Empty when valid; otherwise what is wrong, in words a user can act on.
  QString problem() const;
  ModelDataSettings settings() const;
  void setModel(const QString& spec);
  // The model box offers the zoo and these (projectModelSpecs); what is typed stays.
  void setProjectModels(const QStringList& specs);
  QComboBox* model = nullptr;
  QComboBox* data = nullptr;
  QSpinBox* samples = nullptr;
  QComboBox* device = nullptr;
  QSpinBox* seed = nullptr;

 private:
  QStringList m_projectModels;  // offered now (a refresh with the same list changes nothing)

 Q_SIGNALS:
  void changed();
};

}  // namespace flatland::app
