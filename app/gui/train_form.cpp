#include "train_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include <algorithm>

#include "flatland/errors.h"
#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/train_settings.h"
#include "jobs.h"
#include "setting_widgets.h"

namespace flatland::app {

namespace {

const settings::Setting& trainSetting(const std::string& key) {
  if (const auto* s = settings::find(training::trainSettings(), key)) return *s;
  throw InvalidArgument("no train setting '" + key + "'");
}

QString label(const std::string& key) { return QString::fromStdString(trainSetting(key).label); }

}  // namespace

TrainForm::TrainForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = training::trainSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  testData = new QComboBox;
  testData->setEditable(true);
  testData->addItems(knownDataSpecs());
  testData->setInsertPolicy(QComboBox::NoInsert);
  testData->setCurrentText(QString::fromStdString(trainSetting("test_data").startValue()));
  describeWidget(testData, trainSetting("test_data"));
  optimizer = createSettingWidget<QComboBox>(table, "optimizer");
  learningRate = createSettingWidget<QDoubleSpinBox>(table, "lr");
  epochs = createSettingWidget<QSpinBox>(table, "epochs");
  batchSize = createSettingWidget<QSpinBox>(table, "batch_size");
  rho = createSettingWidget<QDoubleSpinBox>(table, "rho");
  labelNoise = createSettingWidget<QDoubleSpinBox>(table, "label_noise");
  imbalance = createSettingWidget<QDoubleSpinBox>(table, "imbalance");
  qatBits = createSettingWidget<QSpinBox>(table, "qat_bits");
  qatBits->setSpecialValueText("off");
  qatActivationBits = createSettingWidget<QSpinBox>(table, "qat_act_bits");
  qatActivationBits->setSpecialValueText("off");
  qatMethod = createSettingWidget<QComboBox>(table, "qat_method");
  qatMethod->setEnabled(false);
  runName = createSettingWidget<QLineEdit>(table, "run");
  for (auto [key, widget] :
       std::initializer_list<std::pair<const char*, QWidget*>>{{"test_data", testData},
                                                               {"optimizer", optimizer},
                                                               {"lr", learningRate},
                                                               {"epochs", epochs},
                                                               {"batch_size", batchSize},
                                                               {"rho", rho},
                                                               {"label_noise", labelNoise},
                                                               {"imbalance", imbalance},
                                                               {"qat_bits", qatBits},
                                                               {"qat_act_bits", qatActivationBits},
                                                               {"qat_method", qatMethod},
                                                               {"run", runName}})
    m_form->addRow(label(key), widget);

  auto section = addFoldedSection(m_form, "moreSettings");
  more = section.body;
  moreToggle = section.toggle;
  base = createSettingWidget<QComboBox>(table, "base");
  momentum = createSettingWidget<QDoubleSpinBox>(table, "momentum");
  nesterov = createSettingWidget<QCheckBox>(table, "nesterov");
  weightDecay = createSettingWidget<QDoubleSpinBox>(table, "weight_decay");
  schedule = createSettingWidget<QComboBox>(table, "schedule");
  warmup = createSettingWidget<QSpinBox>(table, "warmup");
  milestones = createSettingWidget<QLineEdit>(table, "milestones");
  milestones->setPlaceholderText("e.g. 30,60 (step schedule)");
  gamma = createSettingWidget<QDoubleSpinBox>(table, "gamma");
  asamEta = createSettingWidget<QDoubleSpinBox>(table, "asam_eta");
  mSharpness = createSettingWidget<QSpinBox>(table, "m");
  mSharpness->setSpecialValueText("batch/4");
  gnpR = createSettingWidget<QDoubleSpinBox>(table, "gnp_r");
  gnpAlpha = createSettingWidget<QDoubleSpinBox>(table, "gnp_alpha");
  heroLambda = createSettingWidget<QDoubleSpinBox>(table, "hero_lambda");
  swaStart = createSettingWidget<QSpinBox>(table, "swa_start");
  swaStart->setSpecialValueText("75% of the epochs");
  loss = createSettingWidget<QComboBox>(table, "loss");
  drwEpoch = createSettingWidget<QSpinBox>(table, "drw_epoch");
  drwEpoch->setSpecialValueText("off");
  checkpointEvery = createSettingWidget<QSpinBox>(table, "checkpoint_every");
  for (auto [key, widget] : std::initializer_list<std::pair<const char*, QWidget*>>{
           {"base", base},
           {"momentum", momentum},
           {"nesterov", nesterov},
           {"weight_decay", weightDecay},
           {"schedule", schedule},
           {"warmup", warmup},
           {"milestones", milestones},
           {"gamma", gamma},
           {"asam_eta", asamEta},
           {"m", mSharpness},
           {"gnp_r", gnpR},
           {"gnp_alpha", gnpAlpha},
           {"hero_lambda", heroLambda},
           {"swa_start", swaStart},
           {"loss", loss},
           {"drw_epoch", drwEpoch},
           {"checkpoint_every", checkpointEvery}}) {
    if (widget == nesterov)
      section.form->addRow(widget);
    else
      section.form->addRow(label(key), widget);
  }
  // Whatever the table has beyond the rows above (a setting added later) lands here too.
  addRemainingRows(this, section.form, table);
  // Only the settings the chosen optimizer, schedule and robust method read are editable.
  enableByReadConditions(this, table);

  // A name the form chose (an optimizer's, or one with a -N suffix to be free in the project)
  // follows the optimizer; a name the user typed stays.
  connect(optimizer, &QComboBox::currentTextChanged, this, [this](const QString& name) {
    QStringList names;
    for (const auto& n : training::optimizerNames()) names << QString::fromStdString(n);
    const QString current = runName->text();
    const QString base = current.section('-', 0, -2);
    bool numbered = false;
    current.section('-', -1).toInt(&numbered);
    const bool chosenByTheForm = current.isEmpty() || current == "run" || names.contains(current) ||
                                 (numbered && names.contains(base));
    if (!chosenByTheForm) return;
    runName->setText(name);
    suggestFreeRunName();
  });
  auto updateQatMethod = [this] {
    qatMethod->setEnabled(qatBits->value() > 0 || qatActivationBits->value() > 0);
  };
  connect(qatBits, &QSpinBox::valueChanged, this, updateQatMethod);
  connect(qatActivationBits, &QSpinBox::valueChanged, this, updateQatMethod);
  runName->setText(optimizer->currentText());
  finishLayout();
}

void TrainForm::suggestFreeRunName() {
  if (projectPath().isEmpty() || !QFileInfo::exists(projectPath())) return;
  try {
    auto project = training::ProjectFile::open(projectPath().toStdString());
    const QString base = optimizer->currentText();
    QString name = base;
    for (int n = 2; project.exists(schema::runPath(name.toStdString())); ++n)
      name = base + "-" + QString::number(n);
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
        training::ProjectFile::open(projectPath().toStdString())
            .exists(schema::runPath(name.toStdString())))
      return "A run named '" + name + "' already exists in this project; choose another name.";
  } catch (const Error& e) {
    return e.what();
  }
  if (optimizer->currentText() == "swa" && epochs->value() < 2)
    return "SWA needs at least 2 epochs.";
  if (qatBits->value() == 1 || qatActivationBits->value() == 1)
    return "QAT bit widths are 2 to 8 (0: off).";
  if (auto p = settingsProblem(this, training::trainSettings()); !p.isEmpty()) return p;
  if (schedule->currentText() == "step" && milestones->text().trimmed().isEmpty())
    return "A step schedule needs milestones (More settings).";
  if (warmup->value() >= epochs->value())
    return "Warm-up must be shorter than the run (More settings).";
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
  training::TrainConfig c = readSettings(this, training::trainSettings());
  // The GUI has no test-samples field: a fifth of the training samples, at least 1000.
  c.testSamples = c.samples > 0 ? std::max<int64_t>(1000, c.samples / 5) : 0;
  if (optimizer->currentText() == "msam" && mSharpness->value() == 0)
    c.optimizer.mSharpness = std::max(1, batchSize->value() / 4);
  return c;
}

JobRequest TrainForm::job() const {
  const training::TrainConfig c = config();
  const std::string project = projectPath().toStdString();
  return {"train " + runName->text() + " (" + optimizer->currentText() + ")",
          [c, project](const JobControl& control) { return runTrainJob(c, project, control); }};
}

}  // namespace flatland::app
