// The settings tables are the one definition of every option: each setting must show up in the
// CLI's --help of its subcommand, as a widget of its GUI form, and in the settings stored by a
// job run from that form. Adding a setting to a table is all it takes; these tests say so.
#include <gtest/gtest.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "flatland/analysis/grid.h"
#include "flatland/errors.h"
#include "flatland/training/progress.h"
#include "flatland/training/project_file.h"
#include "flatland/training/train_settings.h"
#include "job_settings.h"
#include "launch_forms.h"
#include "setting_widgets.h"
#include "test_util.h"

namespace flatland::app {
namespace {

using flatland::testing::TempDir;

#define REQUIRE_DISPLAY() \
  if (!qApp) GTEST_SKIP() << "no DISPLAY: run the GUI tests under xvfb-run"

std::string commandOutput(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  return out;
}

// Every default (and GUI start value) is a valid value, and reads back as itself; and a
// default-constructed settings struct holds the table's defaults, so code that builds one (tests,
// benchmarks) runs the job the CLI and the GUI run.
template <class Config>
void expectConsistentDefaults(const settings::SettingsTable<Config>& table) {
  const Config defaults = settings::defaults(table);
  const Config constructed{};
  for (const auto& s : table) {
    EXPECT_EQ(s.problem(s.defaultValue), "") << s.key;
    EXPECT_EQ(s.problem(s.startValue()), "") << s.key << " (GUI start value)";
    EXPECT_FALSE(s.help.empty()) << s.key;
    if (!s.defaultValue.empty()) {
      EXPECT_EQ(s.get(defaults), s.defaultValue) << s.key;
    }
    EXPECT_EQ(s.get(constructed), s.get(defaults)) << s.key << " (the struct's initialiser)";
  }
}

TEST(SettingsTables, DefaultsAreValidAndReadBack) {
  expectConsistentDefaults(training::trainSettings());
  expectConsistentDefaults(hessianSettings());
  expectConsistentDefaults(surfaceSettings());
  expectConsistentDefaults(quantizeSettings());
  expectConsistentDefaults(robustnessSettings());
  expectConsistentDefaults(sharpnessSettings());
  expectConsistentDefaults(rescaleSettings());
  expectConsistentDefaults(connectSettings());
}

// Choices are enums in the settings structs: the table reads and writes their names, and an
// empty text is "no choice" for the optional ones (the job picks by context).
TEST(SettingsTables, ChoicesAreEnums) {
  auto surface = settings::defaults(surfaceSettings());
  EXPECT_FALSE(surface.directions.has_value());
  const auto& dirs = *settings::find(surfaceSettings(), "dirs");
  dirs.set(surface, "pca");
  EXPECT_EQ(surface.directions, analysis::DirectionKind::Pca);
  EXPECT_EQ(dirs.get(surface), "pca");
  dirs.set(surface, "");
  EXPECT_FALSE(surface.directions.has_value());
  EXPECT_EQ(dirs.get(surface), "");
  EXPECT_THROW(dirs.set(surface, "sideways"), InvalidArgument);
  auto hessian = settings::defaults(hessianSettings());
  EXPECT_EQ(hessian.curvature, Curvature::Hessian);
  settings::find(hessianSettings(), "curvature")->set(hessian, "ggn");
  EXPECT_EQ(hessian.curvature, Curvature::Ggn);
}

// A setting read only with some values of another names a Choice setting of its own table and
// choices that setting has; its help says when it is read.
template <class Config>
void expectValidReadConditions(const settings::SettingsTable<Config>& table) {
  for (const auto& s : table) {
    if (!s.readWhen) continue;
    const auto* control = settings::find(table, s.readWhen->key);
    ASSERT_NE(control, nullptr) << s.key << " depends on " << s.readWhen->key;
    EXPECT_EQ(control->type, settings::Type::Choice) << s.key;
    EXPECT_FALSE(s.readWhen->values.empty()) << s.key;
    for (const auto& v : s.readWhen->values)
      EXPECT_NE(std::find(control->choices.begin(), control->choices.end(), v),
                control->choices.end())
          << s.key << ": " << v << " is no choice of " << control->key;
    EXPECT_NE(s.describe().find("read only with " + control->flag()), std::string::npos)
        << s.describe();
  }
}

TEST(SettingsTables, ReadConditionsNameChoicesOfTheirTable) {
  expectValidReadConditions(training::trainSettings());
  expectValidReadConditions(hessianSettings());
  expectValidReadConditions(surfaceSettings());
  expectValidReadConditions(quantizeSettings());
  expectValidReadConditions(robustnessSettings());
  expectValidReadConditions(sharpnessSettings());
  expectValidReadConditions(rescaleSettings());
  expectValidReadConditions(connectSettings());
  // The train table's: each method's own settings.
  const auto& rho = *settings::find(training::trainSettings(), "rho");
  ASSERT_TRUE(rho.readWhen);
  EXPECT_TRUE(rho.readWhen->holds("sam"));
  EXPECT_TRUE(rho.readWhen->holds("hero"));
  EXPECT_FALSE(rho.readWhen->holds("gnp"));
  EXPECT_FALSE(rho.readWhen->holds("sgd"));
}

// The form greys out exactly the settings the chosen values do not read, for every choice of
// every controlling setting, and a greyed-out setting does not reach the job.
TEST(SettingsTables, TheTrainFormEnablesWhatTheChosenMethodReads) {
  REQUIRE_DISPLAY();
  TrainForm train([] { return QString(); });
  const auto& table = training::trainSettings();
  int checked = 0;
  for (const auto& s : table) {
    if (!s.readWhen) continue;
    auto* control = qobject_cast<QComboBox*>(settingWidget(&train, s.readWhen->key));
    QWidget* widget = settingWidget(&train, s.key);
    ASSERT_TRUE(control && widget) << s.key;
    for (int i = 0; i < control->count(); ++i) {
      control->setCurrentIndex(i);
      const std::string value = control->currentText().toStdString();
      EXPECT_EQ(widget->isEnabled(), s.readWhen->holds(value))
          << s.key << " with " << s.readWhen->key << " " << value;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  train.optimizer->setCurrentText("sgd");
  train.rho->setValue(0.5);
  EXPECT_FALSE(train.rho->isEnabled());
  EXPECT_DOUBLE_EQ(readSettings(&train, table).optimizer.rho, 0.05)
      << "the default, not the greyed-out value";
  train.optimizer->setCurrentText("sam");
  EXPECT_DOUBLE_EQ(readSettings(&train, table).optimizer.rho, 0.5);
}

// The default grid the surface job uses is the one its help names.
TEST(SettingsTables, TheSurfaceGridHelpNamesTheDefaultGrids) {
  const auto& grid = *settings::find(surfaceSettings(), "grid");
  for (auto kind : {analysis::DirectionKind::Random, analysis::DirectionKind::Interp})
    EXPECT_NE(grid.help.find(analysis::defaultGridFor(kind)), std::string::npos) << grid.help;
  EXPECT_EQ(analysis::defaultGridFor(analysis::DirectionKind::Eigen),
            analysis::defaultGridFor(analysis::DirectionKind::Random));
  EXPECT_EQ(analysis::defaultGridFor(analysis::DirectionKind::Pca), "");
}

TEST(SettingsTables, RangesNameTheProblem) {
  const auto& batch = *settings::find(training::trainSettings(), "batch_size");
  EXPECT_EQ(batch.problem("0"), "0 is out of range: 1 to 1048576 samples");
  EXPECT_EQ(batch.problem("abc"), "'abc' is not a whole number (1 to 1048576 samples)");
  const auto& lr = *settings::find(training::trainSettings(), "lr");
  EXPECT_EQ(lr.problem("1e300"), "1e300 is out of range: above 0 and at most 1000000");
  EXPECT_EQ(lr.problem("0"), "0 is out of range: above 0 and at most 1000000");
  EXPECT_EQ(lr.problem("0.1"), "");
  const auto& optimizer = *settings::find(training::trainSettings(), "optimizer");
  EXPECT_NE(optimizer.problem("sgdd").find("sgd, adamw, sam"), std::string::npos);
  const auto& device = *settings::find(training::trainSettings(), "device");
  EXPECT_EQ(device.problem("cuda:1"), "");
  EXPECT_NE(device.problem("cuda:x"), "");
  // The grid is checked by the parser the job uses (1e-3 is a number; 1.2.3 is not).
  const auto& grid = *settings::find(surfaceSettings(), "grid");
  EXPECT_EQ(grid.problem("-1e-3:1e-3:5"), "");
  EXPECT_NE(grid.problem("1.2.3:2:5"), "");
}

template <class Config>
void expectInHelp(const settings::SettingsTable<Config>& table, const std::string& command) {
  const std::string help = commandOutput(std::string(FLATLAND_CLI) + " " + command + " --help");
  ASSERT_NE(help.find("--help"), std::string::npos) << help;
  for (const auto& s : table)
    if (s.where & settings::InCli) {
      EXPECT_NE(help.find(s.flag() + " "), std::string::npos) << command << " " << s.flag();
    }
}

TEST(SettingsTables, EverySettingIsAnOptionOfItsSubcommand) {
  expectInHelp(training::trainSettings(), "train");
  expectInHelp(hessianSettings(), "hessian");
  expectInHelp(surfaceSettings(), "surface");
  expectInHelp(quantizeSettings(), "quantize");
  expectInHelp(robustnessSettings(), "robustness");
  expectInHelp(sharpnessSettings(), "sharpness");
  expectInHelp(connectSettings(), "connect");
}

template <class Config>
void expectWidgets(const QWidget& form, const settings::SettingsTable<Config>& table) {
  for (const auto& s : table) {
    if (!(s.where & settings::InGui)) continue;
    QWidget* widget = settingWidget(&form, s.key);
    ASSERT_NE(widget, nullptr) << s.key;
    EXPECT_EQ(widget->toolTip().toStdString(), s.describe()) << s.key;
    // A choice without a default starts at its first entry (the job's own default for "").
    const std::string start = s.type == settings::Type::Choice && s.startValue().empty()
                                  ? s.choices.front()
                                  : s.startValue();
    if (holdsSettingValue(widget) && s.key != "model" && s.key != "run") {
      EXPECT_EQ(settingText(widget).toStdString(), start) << s.key;
    }
  }
}

// Every stored setting is a key of the settings JSON stored by a job the form ran.
template <class Config>
void expectStored(const settings::SettingsTable<Config>& table, const std::string& json) {
  const auto stored = nlohmann::json::parse(json);
  for (const auto& s : table)
    if (s.where & settings::Stored) {
      EXPECT_TRUE(stored.contains(s.key)) << s.key << " not in " << json;
    }
}

std::string storedSettings(const std::string& project, const std::string& path) {
  auto file = training::ProjectFile::open(project);
  return file.read(path, false).text("settings");
}

void useSmallData(ModelDataFields* fields) {
  fields->model->setCurrentText("zoo:mlp");
  fields->data->setCurrentText("synthetic:blobs:256:1");
  fields->samples->setValue(0);
}

TEST(SettingsTables, EverySettingIsAWidgetOfItsFormAndStoredByItsJob) {
  REQUIRE_DISPLAY();
  TempDir dir;
  const std::string project = dir.file("p.h5");
  auto path = [&] { return QString::fromStdString(project); };
  JobControl control;

  TrainForm train(path);
  expectWidgets(train, training::trainSettings());
  useSmallData(train.input);
  train.testData->setCurrentText("synthetic:blobs:128:2");
  train.epochs->setValue(1);
  train.runName->setText("walk");
  ASSERT_EQ(train.problem(), "");
  train.job().work(control);
  expectStored(training::trainSettings(), storedSettings(project, "/runs/walk"));

  HessianForm hessian(path);
  expectWidgets(hessian, hessianSettings());
  useSmallData(hessian.input);
  hessian.trace->setChecked(false);
  hessian.density->setChecked(false);
  hessian.bottomK->setValue(0);
  hessian.name->setText("h");
  ASSERT_EQ(hessian.problem(), "");
  hessian.job().work(control);
  expectStored(hessianSettings(), storedSettings(project, "/analyses/h"));

  SurfaceForm surface(path);
  expectWidgets(surface, surfaceSettings());
  useSmallData(surface.input);
  surface.grid->setText("-1:1:3");
  surface.name->setText("s");
  ASSERT_EQ(surface.problem(), "");
  surface.job().work(control);
  expectStored(surfaceSettings(), storedSettings(project, "/analyses/s"));

  QuantizeForm quantize(path);
  expectWidgets(quantize, quantizeSettings());
  useSmallData(quantize.input);
  quantize.lowBits->setValue(8);
  quantize.name->setText("q");
  ASSERT_EQ(quantize.problem(), "");
  quantize.job().work(control);
  expectStored(quantizeSettings(), storedSettings(project, "/analyses/q"));

  RobustnessForm robustness(path);
  expectWidgets(robustness, robustnessSettings());
  useSmallData(robustness.input);
  robustness.eps->setText("0.1");
  robustness.name->setText("r");
  ASSERT_EQ(robustness.problem(), "");
  robustness.job().work(control);
  expectStored(robustnessSettings(), storedSettings(project, "/analyses/r"));

  SharpnessForm sharpness(path);
  expectWidgets(sharpness, sharpnessSettings());
  useSmallData(sharpness.input);
  sharpness.rho->setText("0.05");
  sharpness.name->setText("sh");
  ASSERT_EQ(sharpness.problem(), "");
  sharpness.job().work(control);
  expectStored(sharpnessSettings(), storedSettings(project, "/analyses/sh"));

  ConnectForm connect(path);
  expectWidgets(connect, connectSettings());
  useSmallData(connect.input);
  connect.to->setText("zoo:mlp");
  connect.curve->setCurrentText("linear");
  connect.name->setText("c");
  ASSERT_EQ(connect.problem(), "");
  EXPECT_FALSE(settingWidget(&connect, "epochs")->isEnabled()) << "a straight line trains nothing";
  connect.job().work(control);
  expectStored(connectSettings(), storedSettings(project, "/analyses/c"));
}

// The drift bug: the GUI chose the surface batch by comparing the device text with "cuda", so
// "auto" on a GPU ran at 256 where the CLI used 4096. Both now leave it 0 for the job to resolve
// from the device it actually gets.
TEST(SettingsTables, SurfaceBatchFollowsTheResolvedDeviceInTheGuiAsInTheCli) {
  EXPECT_EQ(surfaceBatchSizeFor(true), 4096);
  EXPECT_EQ(surfaceBatchSizeFor(false), 256);
  EXPECT_EQ(resolveSurfaceBatchSize(0, "cpu"), 256);
  EXPECT_EQ(resolveSurfaceBatchSize(77, "cpu"), 77);
  EXPECT_EQ(settings::defaults(surfaceSettings()).input.batchSize, 0);
  REQUIRE_DISPLAY();
  SurfaceForm surface([] { return QString("p.h5"); });
  for (const QString device : {"auto", "cpu", "cuda"}) {
    surface.input->device->setCurrentText(device);
    EXPECT_EQ(surface.settings().input.batchSize, 0) << device.toStdString();
  }
}

}  // namespace
}  // namespace flatland::app
