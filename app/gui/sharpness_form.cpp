#include "sharpness_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>

#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

SharpnessForm::SharpnessForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = sharpnessSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  testData = createSettingWidget<QLineEdit>(table, "test_data");
  runs = createSettingWidget<QLineEdit>(table, "runs");
  runs->setPlaceholderText("sgd,sam,… (several runs: the generalisation table)");
  rho = createSettingWidget<QLineEdit>(table, "rho");
  norm = createSettingWidget<QComboBox>(table, "norm");
  adaptive = createSettingWidget<QCheckBox>(table, "adaptive");
  name = createSettingWidget<QLineEdit>(table, "name");
  name->setPlaceholderText("sharpness-<time>");
  m_form->addRow("Test data", testData);
  m_form->addRow("Compare runs", runs);
  m_form->addRow("Radii (rho)", rho);
  m_form->addRow("Ball", norm);
  m_form->addRow(adaptive);
  m_form->addRow("Name", name);
  auto more = addFoldedSection(m_form, "moreSettings");
  addRemainingRows(this, more.form, table);
  finishLayout();
}

QString SharpnessForm::problem() const {
  if (runs->text().isEmpty())
    if (auto p = input->problem(); !p.isEmpty()) return p;
  if (!runs->text().isEmpty() && testData->text().isEmpty())
    return "Comparing runs ranks the measures against the generalisation gap: choose test data.";
  return settingsProblem(this, sharpnessSettings());
}

SharpnessJobSettings SharpnessForm::settings() const {
  SharpnessJobSettings s = readSettings(this, sharpnessSettings());
  s.projectPath = projectPath().toStdString();
  return s;
}

JobRequest SharpnessForm::job() const {
  const SharpnessJobSettings s = settings();
  const QString what = s.runs.empty() ? "sharpness of " + input->model->currentText()
                                      : "generalisation table of " + QString::fromStdString(s.runs);
  return {what, [s](const JobControl& control) { return "stored " + runSharpnessJob(s, control); }};
}

}  // namespace flatland::app
