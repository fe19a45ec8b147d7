#include "sharpness_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>

#include "flatland/errors.h"
#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

namespace {

template <class W>
W* make(const std::string& key) {
  const auto* s = settings::find(sharpnessSettings(), key);
  if (!s) throw InvalidArgument("no sharpness setting '" + key + "'");
  return static_cast<W*>(createSettingWidget(*s));
}

}  // namespace

SharpnessForm::SharpnessForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = sharpnessSettings();
  input = new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  testData = make<QLineEdit>("test_data");
  runs = make<QLineEdit>("runs");
  runs->setPlaceholderText("sgd,sam,… (several runs: the generalisation table)");
  rho = make<QLineEdit>("rho");
  norm = make<QComboBox>("norm");
  adaptive = make<QCheckBox>("adaptive");
  name = make<QLineEdit>("name");
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
