#include "model_data_fields.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>

#include <functional>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/specs.h"
#include "jobs.h"
#include "setting_widgets.h"

namespace flatland::app {

namespace {

QComboBox* editableCombo(const QStringList& items, const QString& current) {
  auto* combo = new QComboBox;
  combo->setEditable(true);
  combo->addItems(items);
  combo->setCurrentText(current);
  combo->setInsertPolicy(QComboBox::NoInsert);
  return combo;
}

// Every built-in architecture, as training::zooModelNames() lists them.
QStringList zooChoices() {
  QStringList out;
  for (const auto& name : training::zooModelNames()) out << QString::fromStdString("zoo:" + name);
  return out;
}

const settings::Setting& entry(const std::vector<settings::Setting>& table,
                               const std::string& key) {
  for (const auto& s : table)
    if (s.key == key) return s;
  throw InvalidArgument("the form's settings have no '" + key + "'");
}

}  // namespace

QStringList knownDataSpecs() {
  return {"fashion-mnist:train", "fashion-mnist:test", "synthetic:spirals", "synthetic:blobs"};
}

QStringList projectModelSpecs(const QString& projectPath) {
  QStringList specs;
  try {
    const auto project = training::ProjectFile::open(projectPath.toStdString());
    for (const auto& run : project.list(schema::kRunsPath)) {
      const QString spec = projectPath + ":" + QString::fromStdString(schema::runPath(run));
      specs << spec;
      for (int64_t epoch : training::checkpointEpochs(project, run))
        specs << spec + "@" + QString::number(epoch);
    }
  } catch (const std::exception&) {
    return {};  // the tree says what is wrong with the project; the box keeps the zoo
  }
  return specs;
}

QString dataProblem(const QString& text) {
  try {
    auto spec = training::DataSpec::parse(text.toStdString());
    if (spec.kind == training::DataSpec::Kind::Hdf5 &&
        !QFileInfo::exists(QString::fromStdString(spec.path)))
      return "data file not found: " + QString::fromStdString(spec.path);
    if (spec.kind == training::DataSpec::Kind::Cifar10 &&
        !QFileInfo(QString::fromStdString(spec.path)).isDir())
      return "CIFAR-10 folder not found: " + QString::fromStdString(spec.path);
    if (spec.kind == training::DataSpec::Kind::FashionMnist) {
      const QString dir = spec.path.empty()
                              ? QString::fromStdString(training::defaultFashionMnistDir())
                              : QString::fromStdString(spec.path);
      if (!QFileInfo(dir).isDir())
        return "Fashion-MNIST not found in " + dir + " (install dataset-fashion-mnist)";
    }
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

QString modelProblem(const QString& text) {
  try {
    auto spec = training::ModelSpec::parse(text.toStdString());
    if (spec.kind != training::ModelSpec::Kind::Zoo &&
        !QFileInfo::exists(QString::fromStdString(spec.name)))
      return "file not found: " + QString::fromStdString(spec.name);
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

ModelDataFields::ModelDataFields(QFormLayout* form, const std::vector<settings::Setting>& table,
                                 QObject* parent)
    : QObject(parent) {
  const auto& modelSetting = entry(table, "model");
  const auto& dataSetting = entry(table, "data");
  model = editableCombo(zooChoices(), QString::fromStdString(modelSetting.startValue()));
  describeWidget(model, modelSetting);
  data = editableCombo(knownDataSpecs(), QString::fromStdString(dataSetting.startValue()));
  describeWidget(data, dataSetting);
  samples = static_cast<QSpinBox*>(createSettingWidget(entry(table, "samples")));
  samples->setSpecialValueText("all");
  device = static_cast<QComboBox*>(createSettingWidget(entry(table, "device")));
  seed = static_cast<QSpinBox*>(createSettingWidget(entry(table, "seed")));
  // A "…" beside each spec picks a file or folder and writes the matching spec.
  auto withBrowse = [](QComboBox* combo, std::function<QString()> pick) {
    auto* row = new QWidget;
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* browse = new QToolButton;
    browse->setText("…");
    layout->addWidget(combo, 1);
    layout->addWidget(browse);
    QObject::connect(browse, &QToolButton::clicked, combo, [combo, pick] {
      const QString spec = pick();
      if (!spec.isEmpty()) combo->setCurrentText(spec);
    });
    return row;
  };
  form->addRow("Model", withBrowse(model, [] {
                 const QString file = QFileDialog::getOpenFileName(
                     nullptr, "TorchScript model or Flatland project", QString(),
                     "Models and projects (*.pt *.pth *.h5);;TorchScript models (*.pt *.pth);;"
                     "Flatland projects (*.h5)");
                 if (!file.endsWith(".h5")) return file;
                 // A project: which of its runs (or checkpoints).
                 const QStringList runs = projectModelSpecs(file);
                 if (runs.isEmpty()) {
                   QMessageBox::warning(nullptr, "No model in the project",
                                        file + " holds no training run to take a model from.");
                   return QString();
                 }
                 bool ok = false;
                 const QString run = QInputDialog::getItem(nullptr, "Model from the project",
                                                           "Run (NAME@EPOCH: that checkpoint)",
                                                           runs, 0, false, &ok);
                 return ok ? run : QString();
               }));
  form->addRow("Data", withBrowse(data, [] {
                 QMessageBox which;
                 which.setText("Which kind of data set?");
                 auto* h5 = which.addButton("HDF5 file (/x, /y)", QMessageBox::AcceptRole);
                 auto* cifar = which.addButton("CIFAR-10 folder", QMessageBox::AcceptRole);
                 which.addButton(QMessageBox::Cancel);
                 which.exec();
                 if (which.clickedButton() == h5) {
                   const QString file = QFileDialog::getOpenFileName(nullptr, "Data set", QString(),
                                                                     "HDF5 (*.h5 *.hdf5)");
                   return file.isEmpty() ? QString() : "h5:" + file;
                 }
                 if (which.clickedButton() == cifar) {
                   const QString dir = QFileDialog::getExistingDirectory(
                       nullptr, "Folder of the CIFAR-10 binary batches");
                   return dir.isEmpty() ? QString() : "cifar10:" + dir + ":train";
                 }
                 return QString();
               }));
  form->addRow("Samples", samples);
  form->addRow("Device", device);
  form->addRow("Seed", seed);
  for (auto* combo : {model, data})
    connect(combo, &QComboBox::currentTextChanged, this, &ModelDataFields::changed);
  connect(samples, &QSpinBox::valueChanged, this, &ModelDataFields::changed);
}

QString ModelDataFields::problem() const {
  if (auto p = modelProblem(model->currentText()); !p.isEmpty()) return "Model: " + p;
  if (auto p = dataProblem(data->currentText()); !p.isEmpty()) return "Data: " + p;
  return {};
}

ModelDataSettings ModelDataFields::settings() const {
  ModelDataSettings s;
  s.model = model->currentText().toStdString();
  s.data = data->currentText().toStdString();
  s.samples = samples->value();
  s.device = device->currentText().toStdString();
  s.seed = uint64_t(seed->value());
  return s;
}

void ModelDataFields::setModel(const QString& spec) { model->setCurrentText(spec); }

void ModelDataFields::setProjectModels(const QStringList& specs) {
  if (specs == m_projectModels) return;  // the live refresh must not reset an open list
  m_projectModels = specs;
  const QSignalBlocker quiet(model);
  const QString current = model->currentText();
  model->clear();
  model->addItems(zooChoices());
  if (!specs.isEmpty()) model->insertSeparator(model->count());
  model->addItems(specs);
  model->setCurrentText(current);
}

}  // namespace flatland::app
