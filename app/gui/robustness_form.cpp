#include "robustness_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

RobustnessForm::RobustnessForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = robustnessSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  attacks = createSettingWidget<QLineEdit>(table, "attack");
  eps = createSettingWidget<QLineEdit>(table, "eps");
  inputCurvature = createSettingWidget<QCheckBox>(table, "input_curvature");
  corruptions = createSettingWidget<QCheckBox>(table, "corruptions");
  surfaceSample = createSettingWidget<QSpinBox>(table, "surface_sample");
  surfaceSample->setSpecialValueText("none");
  name = createSettingWidget<QLineEdit>(table, "name");
  name->setPlaceholderText("robustness-<time>");
  m_form->addRow("Attacks", attacks);
  m_form->addRow("Radii (eps)", eps);
  m_form->addRow(inputCurvature);
  m_form->addRow(corruptions);
  m_form->addRow("Surface around sample", surfaceSample);
  m_form->addRow("Name", name);
  auto more = addFoldedSection(m_form, "moreSettings");
  addRemainingRows(this, more.form, table);
  finishLayout();
}

QString RobustnessForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (attacks->text() == "none" && !inputCurvature->isChecked() && !corruptions->isChecked() &&
      surfaceSample->value() < 0)
    return "Choose at least one thing to compute.";
  return settingsProblem(this, robustnessSettings());
}

RobustnessJobSettings RobustnessForm::settings() const {
  RobustnessJobSettings s = readSettings(this, robustnessSettings());
  s.projectPath = projectPath().toStdString();
  return s;
}

JobRequest RobustnessForm::job() const {
  const RobustnessJobSettings s = settings();
  return {"robustness of " + input->model->currentText(),
          [s](const JobControl& control) { return "stored " + runRobustnessJob(s, control); }};
}

}  // namespace flatland::app
