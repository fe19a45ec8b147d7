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
  QComboBox* model = nullptr;
  QComboBox* data = nullptr;
  QSpinBox* samples = nullptr;
  QComboBox* device = nullptr;
  QSpinBox* seed = nullptr;

 Q_SIGNALS:
  void changed();
};

}  // namespace flatland::app
