#include "connect_form.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>

#include <cstdio>

#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

ConnectForm::ConnectForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = connectSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  to = createSettingWidget<QLineEdit>(table, "to");
  to->setPlaceholderText("the second model: a run of this project (P.h5:/runs/NAME) or a .pt");
  curve = createSettingWidget<QComboBox>(table, "curve");
  testData = createSettingWidget<QLineEdit>(table, "test_data");
  testData->setPlaceholderText("none (optional: also evaluated along the paths)");
  name = createSettingWidget<QLineEdit>(table, "name");
  name->setPlaceholderText("connectivity-<time>");
  for (auto [key, widget] : std::initializer_list<std::pair<const char*, QWidget*>>{
           {"to", to}, {"curve", curve}, {"test_data", testData}, {"name", name}})
    m_form->addRow(QString::fromStdString(settings::find(table, key)->label), widget);
  auto more = addFoldedSection(m_form, "moreSettings");
  addRemainingRows(this, more.form, table);
  enableByReadConditions(this, table);
  finishLayout();
}

QString ConnectForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (to->text().trimmed().isEmpty()) return "Name the second model to connect to (Second model).";
  if (auto p = modelProblem(to->text().trimmed()); !p.isEmpty()) return "Second model: " + p;
  if (!testData->text().trimmed().isEmpty())
    if (auto p = dataProblem(testData->text().trimmed()); !p.isEmpty()) return "Test data: " + p;
  return settingsProblem(this, connectSettings());
}

ConnectJobSettings ConnectForm::settings() const {
  ConnectJobSettings s = readSettings(this, connectSettings());
  s.projectPath = projectPath().toStdString();
  return s;
}

JobRequest ConnectForm::job() const {
  const ConnectJobSettings s = settings();
  return {"paths from " + input->model->currentText() + " to " + to->text().trimmed(),
          [s](const JobControl& control) {
            const auto r = runConnectJob(s, control);
            char barriers[120];
            std::snprintf(barriers, sizeof barriers, " (barrier: linear %.4g, %s %.4g)",
                          r.linearBarrier, analysis::toString(s.curve).c_str(), r.curveBarrier);
            return "stored " + r.analysisPath + barriers;
          }};
}

}  // namespace flatland::app
