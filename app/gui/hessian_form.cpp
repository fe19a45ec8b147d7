#include "hessian_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

HessianForm::HessianForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = hessianSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  topK = createSettingWidget<QSpinBox>(table, "top_k");
  bottomK = createSettingWidget<QSpinBox>(table, "bottom_k");
  trace = createSettingWidget<QCheckBox>(table, "trace");
  density = createSettingWidget<QCheckBox>(table, "density");
  perClass = createSettingWidget<QCheckBox>(table, "per_class");
  imbalance = createSettingWidget<QDoubleSpinBox>(table, "imbalance");
  batchSweep = createSettingWidget<QLineEdit>(table, "batch_sweep");
  name = createSettingWidget<QLineEdit>(table, "name");
  name->setPlaceholderText("hessian-<time>");
  m_form->addRow("Top-k eigenvalues", topK);
  m_form->addRow("Bottom-k eigenvalues", bottomK);
  m_form->addRow(trace);
  m_form->addRow(density);
  m_form->addRow(perClass);
  m_form->addRow("Long tail ratio", imbalance);
  m_form->addRow("Batch-size sweep", batchSweep);
  m_form->addRow("Name", name);
  auto more = addFoldedSection(m_form, "moreSettings");
  addRemainingRows(this, more.form, table);
  finishLayout();
}

QString HessianForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (topK->value() == 0 && bottomK->value() == 0 && !trace->isChecked() && !density->isChecked())
    return "Choose at least one thing to compute.";
  return settingsProblem(this, hessianSettings());
}

HessianJobSettings HessianForm::settings() const {
  HessianJobSettings s = readSettings(this, hessianSettings());
  s.projectPath = projectPath().toStdString();
  return s;
}

JobRequest HessianForm::job() const {
  const HessianJobSettings s = settings();
  return {"Hessian of " + input->model->currentText(),
          [s](const JobControl& control) { return "stored " + runHessianJob(s, control); }};
}

}  // namespace flatland::app
