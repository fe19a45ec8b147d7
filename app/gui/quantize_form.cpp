#include "quantize_form.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>

#include "flatland/errors.h"
#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

namespace {

const settings::Setting& quantizeSetting(const std::string& key) {
  const auto* s = settings::find(quantizeSettings(), key);
  if (!s) throw InvalidArgument("no quantize setting '" + key + "'");
  return *s;
}

}  // namespace

QuantizeForm::QuantizeForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = quantizeSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  // The range of widths as two spin boxes; the row carries the setting's name and help.
  const auto widths = parseBitWidths(quantizeSetting("bits").startValue());
  auto* bits = new QWidget;
  describeWidget(bits, quantizeSetting("bits"));
  auto* row = new QHBoxLayout(bits);
  row->setContentsMargins(0, 0, 0, 0);
  lowBits = new QSpinBox;
  lowBits->setRange(2, 16);
  lowBits->setValue(widths.front());
  highBits = new QSpinBox;
  highBits->setRange(2, 16);
  highBits->setValue(widths.back());
  row->addWidget(lowBits);
  row->addWidget(new QLabel("to"));
  row->addWidget(highBits);
  hawqBits = createSettingWidget<QDoubleSpinBox>(table, "hawq_bits");
  hawqBits->setSpecialValueText("off");
  name = createSettingWidget<QLineEdit>(table, "name");
  name->setPlaceholderText("quantize-<time>");
  m_form->addRow("Bit widths", bits);
  m_form->addRow("HAWQ average bits", hawqBits);
  m_form->addRow("Name", name);
  auto more = addFoldedSection(m_form, "moreSettings");
  addRemainingRows(this, more.form, table);
  finishLayout();
}

QString QuantizeForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (lowBits->value() > highBits->value())
    return "The lowest bit width must not exceed the highest.";
  if (hawqBits->value() > 0 && hawqBits->value() < 2)
    return "HAWQ needs an average of at least 2 bits.";
  return settingsProblem(this, quantizeSettings());
}

QuantizeJobSettings QuantizeForm::settings() const {
  QuantizeJobSettings s = readSettings(this, quantizeSettings());
  s.bits =
      parseBitWidths(QString("%1-%2").arg(lowBits->value()).arg(highBits->value()).toStdString());
  s.projectPath = projectPath().toStdString();
  return s;
}

JobRequest QuantizeForm::job() const {
  const QuantizeJobSettings s = settings();
  return {"quantization sweep of " + input->model->currentText(), [s](const JobControl& control) {
            return "stored " + runQuantizeJob(s, control).analysisPath;
          }};
}

}  // namespace flatland::app
