#include "surface_form.h"

#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>

#include "flatland/analysis/grid.h"
#include "flatland/errors.h"
#include "job_settings.h"
#include "setting_widgets.h"

namespace flatland::app {

namespace {

const settings::Setting& surfaceSetting(const std::string& key) {
  const auto* s = settings::find(surfaceSettings(), key);
  if (!s) throw InvalidArgument("no surface setting '" + key + "'");
  return *s;
}

}  // namespace

SurfaceForm::SurfaceForm(ProjectPathGetter projectPath, QWidget* parent)
    : LaunchForm(std::move(projectPath), parent) {
  const auto& table = surfaceSettings();
  input =
      new ModelDataFields(m_form, std::vector<settings::Setting>(table.begin(), table.end()), this);
  directions = createSettingWidget<QComboBox>(table, "dirs");
  grid = createSettingWidget<QLineEdit>(table, "grid");
  norm = createSettingWidget<QComboBox>(table, "norm");
  fromAnalysis = createSettingWidget<QLineEdit>(table, "from_analysis");
  fromAnalysis->setPlaceholderText(
      "eigen: a Hessian analysis (empty: computed first) · random: a surface to "
      "share directions with (optional) · plane: a connectivity analysis");
  run = createSettingWidget<QLineEdit>(table, "run");
  run->setPlaceholderText("a run of this project, or P.h5:/runs/NAME");
  to = createSettingWidget<QLineEdit>(table, "to");
  to->setPlaceholderText("the second model (a model spec)");
  dirFile = createSettingWidget<QLineEdit>(table, "dir_file");
  dirFile->setPlaceholderText("a loss-landscape direction file (.h5)");
  name = createSettingWidget<QLineEdit>(table, "name");
  name->setPlaceholderText("surface-<time>");
  testData = new QComboBox;
  testData->setEditable(true);
  testData->addItems(QStringList{""} + knownDataSpecs());
  testData->setInsertPolicy(QComboBox::NoInsert);
  testData->setCurrentText(QString::fromStdString(surfaceSetting("test_data").startValue()));
  describeWidget(testData, surfaceSetting("test_data"));
  testData->lineEdit()->setPlaceholderText("none (optional: also fills test loss and accuracy)");
  m_form->addRow("Directions", directions);
  m_form->addRow("Grid", grid);
  m_form->addRow("Normalisation", norm);
  m_form->addRow("From analysis", fromAnalysis);
  m_form->addRow("Run (PCA)", run);
  m_form->addRow("Interpolate to", to);
  m_form->addRow(QString::fromStdString(surfaceSetting("dir_file").label), dirFile);
  m_form->addRow("Test data", testData);
  m_form->addRow("Name", name);
  auto more = addFoldedSection(m_form, "moreSettings");
  addRemainingRows(this, more.form, table);
  connect(directions, &QComboBox::currentTextChanged, this, &SurfaceForm::enableForDirections);
  enableForDirections(directions->currentText());
  enableByReadConditions(this, table);
  finishLayout();
}

void SurfaceForm::enableForDirections(const QString& kind) {
  using analysis::DirectionKind;
  const auto is = [&](DirectionKind k) { return kind.toStdString() == analysis::toString(k); };
  fromAnalysis->setEnabled(is(DirectionKind::Random) || is(DirectionKind::Eigen) ||
                           is(DirectionKind::Plane));
  run->setEnabled(is(DirectionKind::Pca));
  to->setEnabled(is(DirectionKind::Interp));
}

QString SurfaceForm::problem() const {
  if (auto p = input->problem(); !p.isEmpty()) return p;
  if (auto p = settingsProblem(this, surfaceSettings()); !p.isEmpty()) return p;
  using analysis::DirectionKind;
  const auto dirs = settings().directions;
  if (dirs == DirectionKind::Pca && run->text().trimmed().isEmpty())
    return "Name the training run whose checkpoints to use (Run).";
  if (dirs == DirectionKind::Interp) {
    if (to->text().trimmed().isEmpty())
      return "Name the second model to interpolate to (Interpolate to).";
    if (analysis::GridSpec::parse(grid->text().toStdString()).dimensions() != 1)
      return "Interpolation is one-dimensional: give one grid axis, e.g. " +
             QString::fromStdString(analysis::defaultGridFor(DirectionKind::Interp)) + ".";
    if (auto p = modelProblem(to->text().trimmed()); !p.isEmpty()) return "Interpolate to: " + p;
  }
  if (dirs == DirectionKind::Plane && fromAnalysis->text().trimmed().isEmpty())
    return "Name the connectivity analysis whose models span the plane (From analysis).";
  if (dirs == DirectionKind::LossLandscape && dirFile->text().trimmed().isEmpty())
    return "Name the loss-landscape direction file (Direction file).";
  if (!testData->currentText().trimmed().isEmpty())
    if (auto p = dataProblem(testData->currentText().trimmed()); !p.isEmpty())
      return "Test data: " + p;
  return {};
}

SurfaceJobSettings SurfaceForm::settings() const {
  SurfaceJobSettings s = readSettings(this, surfaceSettings());
  s.projectPath = projectPath().toStdString();
  return s;
}

JobRequest SurfaceForm::job() const {
  const SurfaceJobSettings s = settings();
  return {"surface of " + input->model->currentText(), [s](const JobControl& control) {
            auto result = runSurfaceJob(s, control);
            return std::string(result.resumed ? "resumed " : "stored ") + result.analysisPath;
          }};
}

}  // namespace flatland::app
