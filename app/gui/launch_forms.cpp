#include "launch_forms.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QToolButton>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QVBoxLayout>

#include <functional>

#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/specs.h"
#include "jobs.h"

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

QSpinBox* spin(int low, int high, int value) {
  auto* s = new QSpinBox;
  s->setRange(low, high);
  s->setValue(value);
  return s;
}

QDoubleSpinBox* doubleSpin(double low, double high, double value, int decimals, double step) {
  auto* s = new QDoubleSpinBox;
  s->setRange(low, high);
  s->setDecimals(decimals);
  s->setSingleStep(step);
  s->setValue(value);
  return s;
}

// Spec syntax and the files it names; empty when fine.
QString dataProblem(const QString& text) {
  try {
    auto spec = training::DataSpec::parse(text.toStdString());
    if (spec.kind == training::DataSpec::Kind::Hdf5 && !QFileInfo::exists(QString::fromStdString(spec.path)))
      return "data file not found: " + QString::fromStdString(spec.path);
    if (spec.kind == training::DataSpec::Kind::Cifar10 && !QFileInfo(QString::fromStdString(spec.path)).isDir())
      return "CIFAR-10 folder not found: " + QString::fromStdString(spec.path);
    if (spec.kind == training::DataSpec::Kind::FashionMnist) {
      const QString dir = spec.path.empty() ? QString::fromStdString(training::defaultFashionMnistDir())
                                            : QString::fromStdString(spec.path);
      if (!QFileInfo(dir).isDir()) return "Fashion-MNIST not found in " + dir + " (install dataset-fashion-mnist)";
    }
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

QString modelProblem(const QString& text) {
  try {
    auto spec = training::ModelSpec::parse(text.toStdString());
    if (spec.kind != training::ModelSpec::Kind::Zoo && !QFileInfo::exists(QString::fromStdString(spec.name)))
      return "file not found: " + QString::fromStdString(spec.name);
    return {};
  } catch (const Error& e) {
    return e.what();
  }
}

const QStringList kZoo = {"zoo:cnn-small", "zoo:mlp", "zoo:lenet5", "zoo:resnet20", "zoo:linear",
                          "zoo:mlp-tanh", "zoo:cnn-smooth"};
const QStringList kData = {"fashion-mnist:train", "fashion-mnist:test", "synthetic:spirals", "synthetic:blobs"};

}  // namespace

// The default for the sample counts keeps a first Run short on a laptop CPU.
ModelDataFields::ModelDataFields(QFormLayout* form, const QString& defaultData, int defaultSamples, QObject* parent)
    : QObject(parent) {
  model = editableCombo(kZoo, "zoo:cnn-small");
  model->setObjectName("model");
  model->setToolTip("zoo:NAME, a TorchScript .pt file, or PROJECT.h5:/runs/NAME[@EPOCH]");
  data = editableCombo(kData, defaultData);
  data->setObjectName("data");
  data->setToolTip("fashion-mnist:train|test, cifar10:DIR:train|test, h5:FILE, synthetic:spirals|blobs");
  samples = spin(0, 10'000'000, defaultSamples);
  samples->setObjectName("samples");
  samples->setSpecialValueText("all");
  device = new QComboBox;
  device->addItems({"auto", "cpu", "cuda"});
  seed = spin(0, 1'000'000, 0);
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
    const QString file = QFileDialog::getOpenFileName(nullptr, "TorchScript model or project", QString(),
                                                      "TorchScript models (*.pt *.pth);;Flatland projects (*.h5)");
    if (file.endsWith(".h5")) return file + ":/runs/NAME";  // the user names the run
    return file;
  }));
  form->addRow("Data", withBrowse(data, [] {
    QMessageBox which;
    which.setText("Which kind of data set?");
    auto* h5 = which.addButton("HDF5 file (/x, /y)", QMessageBox::AcceptRole);
    auto* cifar = which.addButton("CIFAR-10 folder", QMessageBox::AcceptRole);
    which.addButton(QMessageBox::Cancel);
    which.exec();
    if (which.clickedButton() == h5) {
      const QString file = QFileDialog::getOpenFileName(nullptr, "Data set", QString(), "HDF5 (*.h5 *.hdf5)");
      return file.isEmpty() ? QString() : "h5:" + file;
    }
    if (which.clickedButton() == cifar) {
      const QString dir = QFileDialog::getExistingDirectory(nullptr, "Folder of the CIFAR-10 binary batches");
      return dir.isEmpty() ? QString() : "cifar10:" + dir + ":train";
    }
    return QString();
  }));
  form->addRow("Samples", samples);
  form->addRow("Device", device);
  form->addRow("Seed", seed);
  for (auto* combo : {model, data}) connect(combo, &QComboBox::currentTextChanged, this, &ModelDataFields::changed);
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

LaunchForm::LaunchForm(ProjectPathGetter projectPath, QWidget* parent)
    : QWidget(parent), m_projectPath(std::move(projectPath)) {
  auto* layout = new QVBoxLayout(this);
  m_form = new QFormLayout;
  layout->addLayout(m_form);
}

void LaunchForm::finishLayout() {
  m_problem = new QLabel;
  m_problem->setObjectName("problem");
  m_problem->setWordWrap(true);
  m_problem->setStyleSheet("color: #b00020");
  m_run = new QPushButton("Run");
  m_run->setObjectName("run");
  auto* layout = static_cast<QVBoxLayout*>(this->layout());
  layout->addWidget(m_problem);
  layout->addWidget(m_run);
  layout->addStretch();
  connect(m_run, &QPushButton::clicked, this, [this] {
    revalidate();
    if (problem().isEmpty()) Q_EMIT submitted(job());
  });
  // Validate as the user types: every editor of the form re-checks on change.
  for (auto* w : findChildren<QLineEdit*>()) connect(w, &QLineEdit::textChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QComboBox*>()) connect(w, &QComboBox::currentTextChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QSpinBox*>()) connect(w, &QSpinBox::valueChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QDoubleSpinBox*>()) connect(w, &QDoubleSpinBox::valueChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QCheckBox*>()) connect(w, &QCheckBox::toggled, this, &LaunchForm::revalidate);
  revalidate();
}

void LaunchForm::revalidate() {
  QString p = projectPath().isEmpty() ? "Open or create a project first (File menu)." : problem();
  m_problem->setText(p);
  m_run->setEnabled(p.isEmpty());
}

// ------------------------------------------------------------------------------- training

TrainForm::TrainForm(ProjectPathGetter projectPath, QWidget* parent) : LaunchForm(std::move(projectPath), parent) {
  input = new ModelDataFields(m_form, "fashion-mnist:train", 5000, this);
  testData = editableCombo(kData, "fashion-mnist:test");
  optimizer = new QComboBox;
  optimizer->setObjectName("optimizer");
  optimizer->addItems({"sgd", "sam", "asam", "msam", "gnp", "hero", "swa", "adamw"});
  learningRate = doubleSpin(1e-5, 10.0, 0.05, 5, 0.01);
  epochs = spin(1, 10000, 3);
  epochs->setObjectName("epochs");
  batchSize = spin(1, 65536, 128);
  rho = doubleSpin(0.0, 10.0, 0.05, 3, 0.01);
  labelNoise = doubleSpin(0.0, 0.99, 0.0, 2, 0.1);
  imbalance = doubleSpin(1.0, 1000.0, 1.0, 1, 10.0);
  qatBits = spin(0, 8, 0);
  qatBits->setSpecialValueText("off");
  qatBits->setToolTip("Fake-quantize conv/linear weights (symmetric, per channel) while training");
  qatActivationBits = spin(0, 8, 0);
  qatActivationBits->setSpecialValueText("off");
  qatActivationBits->setToolTip("Fake-quantize the activations after each ReLU (unsigned; zoo models only)");
  qatMethod = new QComboBox;
  qatMethod->setObjectName("qatMethod");
  qatMethod->addItems({"ste", "lsq"});
  qatMethod->setToolTip("ste: fixed steps with the straight-through estimator; lsq: learned steps (Esser et al. 2020)");
  qatMethod->setEnabled(false);
  runName = new QLineEdit("run");
  runName->setObjectName("runName");
  m_form->addRow("Test data", testData);
  m_form->addRow("Optimizer", optimizer);
  m_form->addRow("Learning rate", learningRate);
  m_form->addRow("Epochs", epochs);
  m_form->addRow("Batch size", batchSize);
  m_form->addRow("\u03c1 (SAM family)", rho);
  m_form->addRow("Label noise", labelNoise);
  m_form->addRow("Long tail ratio", imbalance);
  m_form->addRow("QAT bits", qatBits);
  m_form->addRow("QAT activation bits", qatActivationBits);
  m_form->addRow("QAT method", qatMethod);
  m_form->addRow("Run name", runName);

  // The rest of the train options, with the CLI's defaults (training::OptimizerConfig).
  const training::TrainConfig defaults;
  const training::OptimizerConfig& o = defaults.optimizer;
  base = new QComboBox;
  base->addItems({"sgd", "adamw"});
  base->setToolTip("The optimizer that takes the step the sharpness-aware method's gradient gives");
  momentum = doubleSpin(0.0, 0.999, o.momentum, 3, 0.05);
  nesterov = new QCheckBox("Nesterov momentum");
  weightDecay = doubleSpin(0.0, 1.0, o.weightDecay, 6, 1e-4);
  schedule = new QComboBox;
  schedule->addItems({"cosine", "step", "constant"});
  warmup = spin(0, 10000, int(o.warmupEpochs));
  warmup->setToolTip("Epochs of linear warm-up before the schedule starts");
  milestones = new QLineEdit;
  milestones->setObjectName("milestones");
  milestones->setPlaceholderText("e.g. 30,60 (step schedule)");
  gamma = doubleSpin(0.0, 1.0, o.gamma, 3, 0.05);
  asamEta = doubleSpin(0.0, 1.0, o.asamEta, 4, 0.01);
  asamEta->setToolTip("ASAM's T_w = |w| + \u03b7 (Kwon 2021)");
  mSharpness = spin(0, 65536, 0);
  mSharpness->setObjectName("mSharpness");
  mSharpness->setSpecialValueText("batch/4");
  mSharpness->setToolTip("m-sharpness: each sub-batch of m samples gets its own perturbation (Foret 2021)");
  gnpR = doubleSpin(1e-6, 10.0, o.gnpR, 4, 0.01);
  gnpAlpha = doubleSpin(0.0, 1.0, o.gnpAlpha, 3, 0.05);
  gnpAlpha->setToolTip("Gradient norm penalty: \u03b1 = \u03bb / r; \u03b1 = 1 is SAM (Zhao 2022)");
  heroLambda = doubleSpin(0.0, 1000.0, o.heroLambda, 3, 0.5);
  swaStart = spin(0, 10000, 0);
  swaStart->setSpecialValueText("75% of the epochs");
  loss = new QComboBox;
  loss->addItems({"ce", "ldam", "vs"});
  loss->setToolTip("ce: cross-entropy; ldam: label-distribution-aware margins (Cao 2019); vs: vector scaling (Kini 2021)");
  drwEpoch = spin(0, 10000, int(defaults.drwEpoch));
  drwEpoch->setSpecialValueText("off");
  drwEpoch->setToolTip("Deferred re-weighting by class frequency from this epoch on");
  checkpointEvery = spin(1, 10000, int(defaults.checkpointEvery));
  checkpointEvery->setObjectName("checkpointEvery");
  checkpointEvery->setToolTip("Epochs between checkpoints (the first and last are always kept)");

  more = new QWidget;
  more->setObjectName("moreSettings");
  auto* moreForm = new QFormLayout(more);
  moreForm->setContentsMargins(0, 0, 0, 0);
  moreForm->addRow("Base optimizer", base);
  moreForm->addRow("Momentum", momentum);
  moreForm->addRow(nesterov);
  moreForm->addRow("Weight decay", weightDecay);
  moreForm->addRow("Schedule", schedule);
  moreForm->addRow("Warm-up epochs", warmup);
  moreForm->addRow("Milestones", milestones);
  moreForm->addRow("\u03b3 (step schedule)", gamma);
  moreForm->addRow("ASAM \u03b7", asamEta);
  moreForm->addRow("m (m-sharpness)", mSharpness);
  moreForm->addRow("GNP r", gnpR);
  moreForm->addRow("GNP \u03b1", gnpAlpha);
  moreForm->addRow("HERO \u03bb", heroLambda);
  moreForm->addRow("SWA from epoch", swaStart);
  moreForm->addRow("Loss", loss);
  moreForm->addRow("DRW from epoch", drwEpoch);
  moreForm->addRow("Checkpoint every", checkpointEvery);
  more->setVisible(false);
  moreToggle = new QPushButton("More settings \u25b8");
  moreToggle->setObjectName("moreToggle");
  moreToggle->setCheckable(true);
  moreToggle->setFlat(true);
  connect(moreToggle, &QPushButton::toggled, this, [this](bool open) {
    more->setVisible(open);
    moreToggle->setText(open ? "More settings \u25be" : "More settings \u25b8");
  });
  m_form->addRow(moreToggle);
  m_form->addRow(more);
  connect(schedule, &QComboBox::currentTextChanged, this, [this](const QString& name) {
    milestones->setEnabled(name == "step");
    gamma->setEnabled(name == "step");
  });
  milestones->setEnabled(false);
  gamma->setEnabled(false);

  connect(optimizer, &QComboBox::currentTextChanged, this, [this](const QString& name) {
    enableForOptimizer(name);
    if (runName->text().isEmpty() || runName->text() == "run" ||
        QStringList({"sgd", "sam", "asam", "msam", "gnp", "hero", "swa", "adamw"}).contains(runName->text()))
      runName->setText(name);
  });
  auto updateQatMethod = [this] { qatMethod->setEnabled(qatBits->value() > 0 || qatActivationBits->value() > 0); };
  connect(qatBits, &QSpinBox::valueChanged, this, updateQatMethod);
  connect(qatActivationBits, &QSpinBox::valueChanged, this, updateQatMethod);
  runName->setText("sgd");
  enableForOptimizer(optimizer->currentText());
  finishLayout();
}

// Only the settings the chosen method reads are editable.
void TrainForm::enableForOptimizer(const QString& name) {
  const bool sharpness = QStringList({"sam", "asam", "msam", "gnp", "hero"}).contains(name);
  rho->setEnabled(sharpness && name != "gnp");
  base->setEnabled(sharpness || name == "swa");
  asamEta->setEnabled(name == "asam" || name == "hero");
  mSharpness->setEnabled(name == "msam");
  gnpR->setEnabled(name == "gnp");
  gnpAlpha->setEnabled(name == "gnp");
  heroLambda->setEnabled(name == "hero");
  swaStart->setEnabled(name == "swa");
}

void TrainForm::suggestFreeRunName() {
  if (projectPath().isEmpty() || !QFileInfo::exists(projectPath())) return;
  try {
    auto project = training::ProjectFile::open(projectPath().toStdString());
    const QString base = optimizer->currentText();
    QString name = base;
    for (int n = 2; project.exists("/runs/" + name.toStdString()); ++n) name = base + "-" + QString::number(n);
    runName->setText(name);
  } catch (const Error&) {
    // The form's own validation reports an unreadable project.
  }
}

QString TrainForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (auto p = dataProblem(testData->currentText()); !p.isEmpty()) return "Test data: " + p;
  const QString name = runName->text();
  if (name.isEmpty()) return "Name the run.";
  if (QString::fromStdString(training::sanitizeName(name.toStdString())) != name)
    return "Run names use letters, digits, '-', '_' and '.' only.";
  try {
    if (!projectPath().isEmpty() && QFileInfo::exists(projectPath()) &&
        training::ProjectFile::open(projectPath().toStdString()).exists("/runs/" + name.toStdString()))
      return "A run named '" + name + "' already exists in this project; choose another name.";
  } catch (const Error& e) {
    return e.what();
  }
  if (optimizer->currentText() == "swa" && epochs->value() < 2) return "SWA needs at least 2 epochs.";
  if (qatBits->value() == 1 || qatActivationBits->value() == 1) return "QAT bit widths are 2 to 8 (0: off).";
  static const QRegularExpression list("^\\s*(\\d+\\s*(,\\s*\\d+\\s*)*)?$");
  if (schedule->currentText() == "step") {
    if (!list.match(milestones->text()).hasMatch())
      return "Milestones: a comma-separated list of epochs, e.g. 30,60.";
    if (milestones->text().trimmed().isEmpty()) return "A step schedule needs milestones (More settings).";
  }
  if (warmup->value() >= epochs->value()) return "Warm-up must be shorter than the run (More settings).";
  if (optimizer->currentText() == "msam" && mSharpness->value() > batchSize->value())
    return "m (m-sharpness) must not exceed the batch size.";
  if (optimizer->currentText() == "swa" && swaStart->value() > epochs->value())
    return "SWA must start by the last epoch.";
  // Whatever else the trainer would refuse, in its words.
  try {
    training::validate(config());
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

training::TrainConfig TrainForm::config() const {
  training::TrainConfig c;
  auto s = input->settings();
  c.model = s.model;
  c.data = s.data;
  c.samples = s.samples;
  c.testData = testData->currentText().toStdString();
  c.testSamples = s.samples > 0 ? std::max<int64_t>(1000, s.samples / 5) : 0;
  c.device = s.device;
  c.seed = s.seed;
  c.epochs = epochs->value();
  c.batchSize = batchSize->value();
  auto& o = c.optimizer;
  o.learningRate = learningRate->value();
  o.rho = rho->value();
  o.momentum = momentum->value();
  o.nesterov = nesterov->isChecked();
  o.weightDecay = weightDecay->value();
  o.schedule = schedule->currentText() == "step"       ? training::Schedule::Step
               : schedule->currentText() == "constant" ? training::Schedule::Constant
                                                       : training::Schedule::Cosine;
  o.warmupEpochs = warmup->value();
  if (o.schedule == training::Schedule::Step)
    for (auto& part : milestones->text().split(',', Qt::SkipEmptyParts)) o.milestones.push_back(part.trimmed().toLongLong());
  o.gamma = gamma->value();
  o.asamEta = asamEta->value();
  o.gnpR = gnpR->value();
  o.gnpAlpha = gnpAlpha->value();
  o.heroLambda = heroLambda->value();
  const QString name = optimizer->currentText();
  if (name == "swa") o.swaStartEpoch = swaStart->value();
  training::applyOptimizerName(name.toStdString(), o);
  if (base->isEnabled()) training::applyOptimizerName(base->currentText().toStdString(), o);
  if (name == "msam") o.mSharpness = mSharpness->value() > 0 ? mSharpness->value() : std::max(1, batchSize->value() / 4);
  c.labelNoise = labelNoise->value();
  c.imbalanceRatio = imbalance->value();
  c.loss = loss->currentText() == "ldam" ? training::LossKind::Ldam
           : loss->currentText() == "vs" ? training::LossKind::Vs
                                         : training::LossKind::CrossEntropy;
  c.drwEpoch = drwEpoch->value();
  c.checkpointEvery = checkpointEvery->value();
  c.qatBits = qatBits->value();
  c.qatActivationBits = qatActivationBits->value();
  if (qatMethod->isEnabled()) c.qatMethod = training::parseQatMethod(qatMethod->currentText().toStdString());
  c.runName = runName->text().toStdString();
  return c;
}

JobRequest TrainForm::job() const {
  const training::TrainConfig c = config();
  const std::string project = projectPath().toStdString();
  return {"train " + runName->text() + " (" + optimizer->currentText() + ")",
          [c, project](const JobControl& control) { return runTrainJob(c, project, control); }};
}

// ------------------------------------------------------------------------------- Hessian

HessianForm::HessianForm(ProjectPathGetter projectPath, QWidget* parent) : LaunchForm(std::move(projectPath), parent) {
  input = new ModelDataFields(m_form, "fashion-mnist:test", 1000, this);
  topK = spin(0, 100, 5);
  bottomK = spin(0, 100, 1);
  trace = new QCheckBox("Hutchinson trace");
  trace->setChecked(true);
  density = new QCheckBox("spectral density (SLQ)");
  density->setChecked(true);
  perClass = new QCheckBox("per class");
  batchSweep = new QLineEdit;
  batchSweep->setPlaceholderText("e.g. 16,64,256 (empty: none)");
  name = new QLineEdit;
  name->setPlaceholderText("hessian-<time>");
  m_form->addRow("Top-k eigenvalues", topK);
  m_form->addRow("Bottom-k eigenvalues", bottomK);
  m_form->addRow(trace);
  m_form->addRow(density);
  m_form->addRow(perClass);
  m_form->addRow("Batch-size sweep", batchSweep);
  m_form->addRow("Name", name);
  finishLayout();
}

QString HessianForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (topK->value() == 0 && bottomK->value() == 0 && !trace->isChecked() && !density->isChecked())
    return "Choose at least one thing to compute.";
  static const QRegularExpression list("^\\s*(\\d+\\s*(,\\s*\\d+\\s*)*)?$");
  if (!list.match(batchSweep->text()).hasMatch()) return "Batch-size sweep: a comma-separated list of sizes, e.g. 16,64,256.";
  for (auto& part : batchSweep->text().split(',', Qt::SkipEmptyParts))
    if (part.trimmed().toLongLong() < 1) return "Batch sizes must be at least 1.";
  return {};
}

JobRequest HessianForm::job() const {
  HessianJobSettings s;
  s.input = input->settings();
  s.topK = topK->value();
  s.bottomK = bottomK->value();
  s.trace = trace->isChecked();
  s.density = density->isChecked();
  s.perClass = perClass->isChecked();
  for (auto& part : batchSweep->text().split(',', Qt::SkipEmptyParts)) s.batchSweep.push_back(part.trimmed().toLongLong());
  s.projectPath = projectPath().toStdString();
  s.name = name->text().toStdString();
  return {"Hessian of " + input->model->currentText(),
          [s](const JobControl& control) { return "stored " + runHessianJob(s, control); }};
}

// ------------------------------------------------------------------------------- surface

SurfaceForm::SurfaceForm(ProjectPathGetter projectPath, QWidget* parent) : LaunchForm(std::move(projectPath), parent) {
  input = new ModelDataFields(m_form, "fashion-mnist:test", 1000, this);
  directions = new QComboBox;
  directions->addItems({"random", "eigen", "pca", "interp"});
  grid = new QLineEdit("-1:1:21,-1:1:21");
  grid->setObjectName("grid");
  norm = new QComboBox;
  norm->addItems({"filter", "layer", "none"});
  second = new QLineEdit;
  second->setPlaceholderText(
      "eigen: Hessian analysis · pca: run · interp: second model · random: a surface to share "
      "directions with (optional)");
  name = new QLineEdit;
  name->setPlaceholderText("surface-<time>");
  testData = editableCombo(QStringList{""} + kData, "");
  testData->setObjectName("surfaceTestData");
  testData->lineEdit()->setPlaceholderText("none (optional: also fills test loss and accuracy)");
  m_form->addRow("Directions", directions);
  m_form->addRow("Grid", grid);
  m_form->addRow("Normalisation", norm);
  m_form->addRow("From", second);
  m_form->addRow("Test data", testData);
  m_form->addRow("Name", name);
  finishLayout();
}

QString SurfaceForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  static const QRegularExpression axis("^\\s*-?[0-9.]+:-?[0-9.]+:[0-9]+\\s*$");
  const auto axes = grid->text().split(',');
  if (axes.size() > 3) return "Grid: at most three axes (x,y,z).";
  for (auto& a : axes) {
    if (!axis.match(a).hasMatch()) return "Grid: each axis is lo:hi:points, e.g. -1:1:21,-1:1:21.";
    if (a.section(':', 2).toInt() < 2) return "Grid: each axis needs at least 2 points.";
  }
  const QString dirs = directions->currentText();
  if (dirs != "random" && second->text().trimmed().isEmpty()) {
    if (dirs == "eigen") return "Name the Hessian analysis whose eigenvectors to use (From).";
    if (dirs == "pca") return "Name the training run whose checkpoints to use (From).";
    return "Name the second model to interpolate to (From).";
  }
  if (dirs == "interp" && axes.size() != 1) return "Interpolation is one-dimensional: give one grid axis, e.g. -0.5:1.5:41.";
  if (dirs == "interp")
    if (auto p = modelProblem(second->text()); !p.isEmpty()) return "From: " + p;
  if (!testData->currentText().trimmed().isEmpty())
    if (auto p = dataProblem(testData->currentText().trimmed()); !p.isEmpty()) return "Test data: " + p;
  return {};
}

JobRequest SurfaceForm::job() const {
  SurfaceJobSettings s;
  s.input = input->settings();
  // Evaluation batches of ~256 run about twice as fast as 2000 on a CPU (docs/performance.md).
  s.input.batchSize = s.input.device == "cuda" ? 4096 : 256;
  s.directions = directions->currentText().toStdString();
  s.grid = grid->text().toStdString();
  s.norm = norm->currentText().toStdString();
  s.testData = testData->currentText().trimmed().toStdString();
  const std::string from = second->text().trimmed().toStdString();
  if (s.directions == "pca")
    s.run = from;
  else if (s.directions == "interp")
    s.to = from;
  else
    s.fromAnalysis = from;  // eigen: the Hessian analysis; random: a surface to share directions with
  s.projectPath = projectPath().toStdString();
  s.name = name->text().toStdString();
  return {"surface of " + input->model->currentText(), [s](const JobControl& control) {
            auto result = runSurfaceJob(s, control);
            return std::string(result.resumed ? "resumed " : "stored ") + result.analysisPath;
          }};
}

// ------------------------------------------------------------------------------- quantization

QuantizeForm::QuantizeForm(ProjectPathGetter projectPath, QWidget* parent) : LaunchForm(std::move(projectPath), parent) {
  input = new ModelDataFields(m_form, "fashion-mnist:test", 0, this);
  lowBits = spin(2, 16, 2);
  highBits = spin(2, 16, 8);
  name = new QLineEdit;
  name->setPlaceholderText("quantize-<time>");
  hawqBits = doubleSpin(0.0, 8.0, 0.0, 1, 0.5);
  hawqBits->setSpecialValueText("off");
  hawqBits->setToolTip("HAWQ: a width per layer from per-layer Hessian traces, at this average");
  m_form->addRow("Lowest bit width", lowBits);
  m_form->addRow("Highest bit width", highBits);
  m_form->addRow("HAWQ average bits", hawqBits);
  m_form->addRow("Name", name);
  finishLayout();
}

QString QuantizeForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (lowBits->value() > highBits->value()) return "The lowest bit width must not exceed the highest.";
  if (hawqBits->value() > 0 && hawqBits->value() < 2) return "HAWQ needs an average of at least 2 bits.";
  return {};
}

JobRequest QuantizeForm::job() const {
  QuantizeJobSettings s;
  s.input = input->settings();
  s.bits.clear();
  for (int b = lowBits->value(); b <= highBits->value(); ++b) s.bits.push_back(b);
  s.hawqAverageBits = hawqBits->value();
  s.projectPath = projectPath().toStdString();
  s.name = name->text().toStdString();
  return {"quantization sweep of " + input->model->currentText(),
          [s](const JobControl& control) { return "stored " + runQuantizeJob(s, control).analysisPath; }};
}

}  // namespace flatland::app
