// The window on a small screen, its menus, the names of tabs and exported files, tooltips, the
// job panel and its time-left estimate (issue #13, item 5).
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDockWidget>
#include <QFileInfo>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QThread>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>

#include <QDir>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>

#include "figure_view.h"
#include "flatland/training/project_schema.h"
#include "flatland/training/trainer.h"
#include "job_panel.h"
#include "job_queue.h"
#include "jobs.h"
#include "launch_forms.h"
#include "main_window.h"
#include "project_browser.h"
#include "project_figures.h"
#include "test_util.h"
#include "time_estimate.h"
#include "view_titles.h"

using namespace flatland;
using namespace flatland::app;
using flatland::testing::TempDir;

namespace {

#define REQUIRE_DISPLAY() \
  if (!qApp) GTEST_SKIP() << "no DISPLAY: run the GUI tests under xvfb-run"

// Runs sgd and sam with a small surface each (sam's along sgd's directions).
void makeTwoRunsWithSurfaces(const std::string& path) {
  for (const std::string optimizer : {"sgd", "sam"}) {
    training::TrainConfig c = flatland::testing::blobsTrainConfig();
    c.epochs = 2;
    c.runName = optimizer;
    training::applyOptimizerName(optimizer, c.optimizer);
    training::trainRun(c, path);
    JobControl control;
    SurfaceJobSettings surface;
    surface.input.model = path + ":/runs/" + optimizer;
    surface.input.data = "synthetic:blobs:256:1";
    surface.input.device = "cpu";
    surface.grid = "-1:1:7,-1:1:7";
    surface.projectPath = path;
    surface.name = "surface-" + optimizer;
    if (optimizer == "sam") surface.fromAnalysis = "surface-sgd";
    runSurfaceJob(surface, control);
  }
}

// makeTwoRunsWithSurfaces in a project of `dir`, opened in the shown window; its absolute path
// (empty when it could not be opened).
QString showTwoRunsWithSurfaces(MainWindow& window, const TempDir& dir) {
  const std::string path = dir.file("p.h5");
  makeTwoRunsWithSurfaces(path);
  window.show();
  if (!window.openProject(QString::fromStdString(path), false).isEmpty()) return {};
  return QFileInfo(QString::fromStdString(path)).absoluteFilePath();
}

FigureView* viewAt(MainWindow& window, int i) {
  return qobject_cast<FigureView*>(window.views()->widget(i));
}

QAction* actionNamed(MainWindow& window, const QString& name) {
  return window.findChild<QAction*>(name);
}

// Whether `child` lies wholly inside `window`'s client area.
bool insideWindow(QWidget& window, QWidget* child) {
  const QRect r(child->mapTo(&window, QPoint(0, 0)), child->size());
  return child->isVisible() && window.rect().contains(r);
}

}  // namespace

TEST(ViewTitles, NameWhatIsCompared) {
  EXPECT_EQ(comparedNames({"surface-sgd", "surface-sam"}), "sgd vs sam");
  EXPECT_EQ(comparedNames({"sgd", "sam"}), "sgd vs sam");
  EXPECT_EQ(comparedNames({"hessian-sgd-e30", "hessian-sam-e30"}), "sgd vs sam");
  EXPECT_EQ(comparedNames({"a-x", "a-x-2"}), "x vs x-2");
  EXPECT_EQ(comparedNames({"run", "run"}), "run vs run");
  EXPECT_EQ(comparedNames({"a", "b", "c", "d", "e"}), "a vs b vs c + 2 more");
  EXPECT_EQ(comparisonTabTitle({"surface-sgd", "surface-sam"}, "comparison"),
            "sgd vs sam: surfaces");
  EXPECT_EQ(comparisonTabTitle({"hessian-sgd", "hessian-sam"}, "density-comparison"),
            "sgd vs sam: spectra");
  EXPECT_EQ(comparisonTabTitle({"sgd", "sam"}, "accuracy-comparison"), "sgd vs sam: test accuracy");
  EXPECT_EQ(fileStemOf("sgd vs sam: surfaces"), "sgd-vs-sam-surfaces");
  EXPECT_EQ(fileStemOf("surface-sgd: contour"), "surface-sgd-contour");
  EXPECT_EQ(fileStemOf("λ/?"), "figure");
}

TEST(RemainingTimeEstimate, SteadyProgressGivesTheExactTimeLeft) {
  RemainingTimeEstimate estimate;
  EXPECT_LT(estimate.update(1.0, 0.0), 0) << "no progress: unknown";
  double left = 0;
  for (int t = 1; t <= 50; ++t) left = estimate.update(t, t / 100.0);
  EXPECT_NEAR(left, 50.0, 0.5);
  EXPECT_EQ(estimate.update(60, 1.0), 0.0);
}

// Progress that comes in bursts between stalls (an evaluation, a slow batch) swung the old
// estimate, elapsed·(1−f)/f, by half its value between two reports (32 s → 1 min 34 s → 48 s).
TEST(RemainingTimeEstimate, BurstsAndStallsDoNotSwingTheEstimate) {
  const std::pair<double, double> cycle[] = {{1, 0.01},  {6, 0}, {0.5, 0.06},
                                             {2, 0.005}, {1, 0}, {1, 0.03}};
  std::vector<std::pair<double, double>> reports;  // (elapsed, fraction)
  double fraction = 0.0, t = 0.0;
  for (int i = 0; fraction < 1.0 - 1e-9; ++i) {
    t += cycle[i % 6].first;
    fraction = std::min(1.0, fraction + cycle[i % 6].second);
    reports.push_back({t, fraction});
  }
  // The biggest change between two reports, relative, while more than 15 s are left.
  const auto biggestStep = [&](auto&& estimate) {
    double previous = -1.0, biggest = 0.0;
    for (auto [elapsed, f] : reports) {
      const double left = estimate(elapsed, f);
      if (previous > 15.0 && left > 15.0)
        biggest = std::max(biggest, std::abs(left - previous) / previous);
      previous = left;
    }
    return biggest;
  };
  RemainingTimeEstimate smoothed;
  const double smooth =
      biggestStep([&](double elapsed, double f) { return smoothed.update(elapsed, f); });
  const double naive =
      biggestStep([](double elapsed, double f) { return f > 0.01 ? elapsed * (1 - f) / f : -1.0; });
  EXPECT_LT(smooth, 0.25) << "the estimate jumped by " << smooth * 100 << " % between reports";
  EXPECT_GT(naive, 2 * smooth) << "the old estimate (" << naive * 100 << " %) was not worse";
}

// At 1280×800 the first window fits the screen and shows the forms' Run button and the jobs.
TEST(WindowLayout, FitsA1280By800Screen) {
  REQUIRE_DISPLAY();
  const QRect screen(0, 0, 1280, 800);
  const QSize size = MainWindow::initialSize(screen);
  EXPECT_LE(size.width(), 1280);
  EXPECT_LE(size.height(), 800 - 24) << "no room left for a title bar";
  EXPECT_EQ(MainWindow::initialSize(QRect(0, 0, 2560, 1440)), QSize(1400, 900));
  QSettings().remove("window/geometry");
  MainWindow window;
  const QRect free = QGuiApplication::primaryScreen()->availableGeometry();
  EXPECT_LE(window.width(), free.width());
  EXPECT_LE(window.height(), free.height());
  window.resize(size);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  QTest::qWait(100);
  EXPECT_LE(window.width(), 1280) << "the layout needs more width than the screen has";
  EXPECT_LE(window.height(), 800) << "the layout needs more height than the screen has";
  EXPECT_TRUE(insideWindow(window, window.jobPanel()));
  EXPECT_GE(window.jobPanel()->height(), 140) << "the job panel is a sliver";
  EXPECT_TRUE(insideWindow(window, window.forms()));
  EXPECT_TRUE(insideWindow(window, window.browser()));
  EXPECT_GE(window.views()->width(), 400) << "the views are squeezed out";
}

// A surface's loss is labelled with the data it was computed on (a "train loss" computed on a
// test set misled, #13 item 4).
TEST(ProjectFigures, SurfaceLossesAreLabelledWithTheirData) {
  TempDir dir;
  makeTwoRunsWithSurfaces(dir.file("p.h5"));
  const auto project = training::ProjectFile::open(dir.file("p.h5"));
  bool found = false;
  for (const auto& named : figuresForAnalysis(project, "surface-sgd"))
    if (const auto* contour = std::get_if<render::ContourMapFigure>(&named.figure)) {
      EXPECT_EQ(contour->surface.valueLabel, "loss on synthetic:blobs:256:1");
      found = true;
    }
  EXPECT_TRUE(found) << "no contour map";
}

// Two surfaces along shared directions compare as panels, slices through the centre, numbers and
// a difference map that is the second minus the first, point by point (#13 item 4).
TEST(ProjectFigures, SurfacesAlongSharedDirectionsCompareInFourWays) {
  TempDir dir;
  makeTwoRunsWithSurfaces(dir.file("p.h5"));
  const auto project = training::ProjectFile::open(dir.file("p.h5"));
  std::map<std::string, render::Figure> figures;
  for (auto& named : comparisonFigures(project, {"surface-sgd", "surface-sam"}))
    figures.emplace(named.name, named.figure);
  for (const char* name : {"comparison", "contours", "slices", "surface-summary", "difference"})
    EXPECT_TRUE(figures.count(name)) << name << " is missing";
  EXPECT_FALSE(render::isThreeDimensional(figures.at("contours"))) << "contours are flat";
  const auto& panels = std::get<render::ComparisonFigure>(figures.at("comparison")).panels;
  const auto& difference = std::get<render::ContourMapFigure>(figures.at("difference")).surface;
  ASSERT_EQ(difference.grid.values.size(), panels[0].grid.values.size());
  for (size_t i = 0; i < difference.grid.values.size(); ++i)
    EXPECT_DOUBLE_EQ(difference.grid.values[i],
                     panels[1].grid.values[i] - panels[0].grid.values[i]);
  const auto& slices = std::get<render::CurvesFigure>(figures.at("slices"));
  ASSERT_EQ(slices.left.size(), 4u);  // along each axis, for each surface
  // The 7 x 7 grid on [-1, 1] has its centre at index 3: the first slice is row 3.
  for (size_t x = 0; x < 7; ++x) EXPECT_DOUBLE_EQ(slices.left[0].ys[x], panels[0].grid.at(3, x));
  const auto& summary = std::get<render::BarsFigure>(figures.at("surface-summary"));
  EXPECT_EQ(summary.categories, (std::vector<std::string>{"surface-sgd", "surface-sam"}));
  EXPECT_TRUE(summary.valueLabels);
  EXPECT_DOUBLE_EQ(summary.series[1].values[0], panels[0].grid.at(3, 3));
  ASSERT_EQ(summary.series.size(), 4u);
  const auto stored =
      project.readDataset(schema::analysisPath("surface-sgd") + "/" + schema::kTrainAccuracy)
          .asDoubles();
  EXPECT_DOUBLE_EQ(summary.series[3].values[0], stored[3 * 7 + 3]) << "accuracy at the centre";
  EXPECT_FALSE(figures.count("surface-curvature")) << "no Hessian of either model yet";
}

// With a Hessian analysis of the first surface's model, however its project path is spelt, the
// comparison puts λ_max and the trace beside the surfaces (#13 item 4: "a table beside it").
TEST(ProjectFigures, SurfaceComparisonShowsTheCurvatureOfTheSameModels) {
  TempDir dir;
  makeTwoRunsWithSurfaces(dir.file("p.h5"));
  JobControl control;
  HessianJobSettings hessian;
  hessian.input.model = "./" + std::filesystem::relative(dir.file("p.h5")).string() + ":/runs/sgd";
  hessian.input.data = "synthetic:blobs:256:1";
  hessian.input.device = "cpu";
  hessian.trace = true;
  hessian.traceSamples = 10;
  hessian.projectPath = dir.file("p.h5");
  hessian.name = "hessian-sgd";
  runHessianJob(hessian, control);
  const auto project = training::ProjectFile::open(dir.file("p.h5"));
  const training::Node stored = project.read(schema::analysisPath("hessian-sgd"), false);
  std::map<std::string, render::Figure> figures;
  for (auto& named : comparisonFigures(project, {"surface-sgd", "surface-sam"}))
    figures.emplace(named.name, named.figure);
  ASSERT_TRUE(figures.count("surface-curvature"));
  const auto& bars = std::get<render::BarsFigure>(figures.at("surface-curvature"));
  ASSERT_EQ(bars.series.size(), 2u);
  EXPECT_DOUBLE_EQ(bars.series[0].values[0], stored.number(schema::kLambdaMax));
  EXPECT_DOUBLE_EQ(bars.series[1].values[0], stored.number(schema::kTrace) / 100.0);
  EXPECT_TRUE(std::isnan(bars.series[0].values[1])) << "sam has no Hessian analysis";
}

// View → Same loss range: every open surface and contour map of a weight-space surface spans one
// loss range, the smallest to the largest loss of them all (#13 item 4); unchecked, each its own.
TEST(ProjectFigures, SurfaceViewsShareOneLossRangeOnRequest) {
  REQUIRE_DISPLAY();
  TempDir dir;
  MainWindow window;
  ASSERT_FALSE(showTwoRunsWithSurfaces(window, dir).isEmpty());
  ASSERT_EQ(window.openEntry("analyses/surface-sgd"), "");
  ASSERT_EQ(window.openEntry("analyses/surface-sam"), "");
  double lo = INFINITY, hi = -INFINITY;
  std::vector<FigureView*> contours;
  for (int i = 0; i < window.views()->count(); ++i)
    if (auto* c = std::get_if<render::ContourMapFigure>(&viewAt(window, i)->figure())) {
      contours.push_back(viewAt(window, i));
      for (double v : c->surface.grid.values) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  ASSERT_EQ(contours.size(), 2u);
  actionNamed(window, "sameLossRange")->trigger();
  for (FigureView* view : contours) {
    const render::Figure shown = view->figureAsShown();
    const auto& scale = std::get<render::ContourMapFigure>(shown).surface.scale;
    EXPECT_DOUBLE_EQ(scale.fixedLo, lo);
    EXPECT_DOUBLE_EQ(scale.fixedHi, hi);
  }
  actionNamed(window, "sameLossRange")->trigger();
  for (FigureView* view : contours)
    EXPECT_FALSE(std::get<render::ContourMapFigure>(view->figureAsShown()).surface.scale.fixed());
}

// The Model boxes offer the project's runs and checkpoints, and a run selected in the tree
// becomes the analysis forms' model (#13 item 2).
TEST(ProjectAwareForms, ModelBoxesListRunsAndTheTreeFillsTheForms) {
  REQUIRE_DISPLAY();
  TempDir dir;
  MainWindow window;
  const QString project = showTwoRunsWithSurfaces(window, dir);
  ASSERT_FALSE(project.isEmpty());
  QComboBox* model = window.hessianForm()->input->model;
  EXPECT_GE(model->findText(project + ":/runs/sgd"), 0);
  EXPECT_GE(model->findText(project + ":/runs/sam@2"), 0) << "checkpoints are not offered";
  EXPECT_GE(model->findText("zoo:cnn-small"), 0) << "the zoo is gone";

  for (QTreeWidgetItemIterator it(window.browser()); *it; ++it)
    (*it)->setSelected((*it)->data(0, Qt::UserRole).toString() == "runs/sam");
  EXPECT_EQ(window.surfaceForm()->input->model->currentText(), project + ":/runs/sam");
  EXPECT_EQ(window.hessianForm()->input->model->currentText(), project + ":/runs/sam");
  EXPECT_NE(window.trainForm()->input->model->currentText(), project + ":/runs/sam")
      << "the Train form's model changed with the selection";
}

// The forms keep their values between sessions (#13 item 2); names of new results do not.
TEST(ProjectAwareForms, FormValuesAreKeptBetweenSessions) {
  REQUIRE_DISPLAY();
  {
    MainWindow window;
    window.hessianForm()->input->samples->setValue(1234);
    window.surfaceForm()->grid->setText("-2:2:9,-2:2:9");
    window.trainForm()->input->model->setCurrentText("zoo:mlp");
  }
  MainWindow window;
  EXPECT_EQ(window.hessianForm()->input->samples->value(), 1234);
  EXPECT_EQ(window.surfaceForm()->grid->text(), "-2:2:9,-2:2:9");
  EXPECT_EQ(window.trainForm()->input->model->currentText(), "zoo:mlp");
}

// The right-click menu of a run opens a form with the run as its model; a surface's offers a
// surface along its directions.
TEST(ProjectAwareForms, TheTreesMenuOpensFilledForms) {
  REQUIRE_DISPLAY();
  TempDir dir;
  MainWindow window;
  const QString project = showTwoRunsWithSurfaces(window, dir);
  ASSERT_FALSE(project.isEmpty());
  std::unique_ptr<QMenu> menu(window.contextMenuFor("runs/sgd"));
  auto* robustness = menu->findChild<QAction*>("robustnessOfThis");
  ASSERT_NE(robustness, nullptr);
  robustness->trigger();
  EXPECT_EQ(window.robustnessForm()->input->model->currentText(), project + ":/runs/sgd");
  EXPECT_EQ(window.forms()->tabText(window.forms()->currentIndex()), "Robustness");

  menu.reset(window.contextMenuFor("analyses/surface-sgd"));
  auto* along = menu->findChild<QAction*>("surfaceAlongThis");
  ASSERT_NE(along, nullptr);
  along->trigger();
  EXPECT_EQ(window.surfaceForm()->fromAnalysis->text(), "surface-sgd");
  EXPECT_EQ(window.surfaceForm()->directions->currentText(), "random");
  EXPECT_EQ(window.forms()->tabText(window.forms()->currentIndex()), "Surface");
  auto* compare = menu->findChild<QAction*>("compareSelected");
  ASSERT_NE(compare, nullptr);
  EXPECT_FALSE(compare->isEnabled()) << "nothing else is selected";
}

TEST(WindowMenus, ResetCameraDocksAndHelp) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeTwoRunsWithSurfaces(dir.file("p.h5"));
  MainWindow window;
  window.resize(1200, 800);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");

  QAction* reset = actionNamed(window, "resetCamera");
  ASSERT_NE(reset, nullptr);
  EXPECT_FALSE(reset->isEnabled()) << "no 3-D view is open";
  ASSERT_EQ(window.openEntry("analyses/surface-sgd"), "");
  QTest::qWait(400);
  auto* view = viewAt(window, window.views()->currentIndex());
  ASSERT_NE(view, nullptr);
  ASSERT_TRUE(render::isThreeDimensional(view->figure()));
  EXPECT_TRUE(reset->isEnabled());
  const auto azimuthOf = [](const render::Figure& f) {
    return std::get<render::SurfaceFigure>(f).azimuth;
  };
  const double start = azimuthOf(view->figureAsShown());
  auto* scene = view->findChild<QWidget*>("scene");
  ASSERT_NE(scene, nullptr);
  for (int i = 0; i < 6; ++i) QTest::keyClick(scene, Qt::Key_Right);
  const double turned = azimuthOf(view->figureAsShown());
  // Six 5° turns about the view's up axis (tilted by the elevation): about 34° of azimuth.
  EXPECT_GT(std::abs(turned - start), 20.0) << "an export would not show the turned camera";
  EXPECT_NEAR(start, -60.0, 1e-6);
  reset->trigger();
  EXPECT_NEAR(azimuthOf(view->figureAsShown()), start, 1e-6);

  // A closed panel comes back from View → Panels.
  auto* jobDock = window.findChild<QDockWidget*>("jobDock");
  ASSERT_NE(jobDock, nullptr);
  jobDock->close();
  EXPECT_FALSE(jobDock->isVisible());
  QAction* showJobs = actionNamed(window, "showjobDock");
  ASSERT_NE(showJobs, nullptr);
  showJobs->trigger();
  EXPECT_TRUE(jobDock->isVisible());

  for (const char* name : {"helpDocumentation", "helpDocsFolder", "helpShortcuts", "helpAbout"})
    EXPECT_NE(actionNamed(window, name), nullptr) << name;
  EXPECT_FALSE(MainWindow::documentationPath().isEmpty());
  const QString about = MainWindow::aboutText();
  EXPECT_TRUE(about.contains("Flatland 0.")) << about.toStdString();
  EXPECT_TRUE(about.contains(QRegularExpression("LibTorch \\d+\\.\\d+"))) << about.toStdString();
  EXPECT_TRUE(about.contains("Devices seen: cpu")) << about.toStdString();
  EXPECT_TRUE(MainWindow::shortcutsText().contains("Ctrl+K"));
}

TEST(WindowViews, ComparisonTabsAndExportNames) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeTwoRunsWithSurfaces(dir.file("p.h5"));
  MainWindow window;
  window.resize(1200, 800);
  window.show();
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  ASSERT_EQ(window.compare({"analyses/surface-sgd", "analyses/surface-sam"}), "");
  ASSERT_EQ(window.compare({"runs/sgd", "runs/sam"}), "");
  QStringList titles;
  for (int i = 0; i < window.views()->count(); ++i) titles << window.views()->tabText(i);
  EXPECT_TRUE(titles.contains("sgd vs sam: surfaces")) << titles.join(" | ").toStdString();
  EXPECT_TRUE(titles.contains("sgd vs sam: test accuracy")) << titles.join(" | ").toStdString();
  for (const QString& title : titles)
    EXPECT_FALSE(title.startsWith("compare:")) << title.toStdString();

  // Exports are named after the view and offered in the project's folder, then in the last one
  // used.
  QSettings().remove("export/lastFolder");
  auto* surfaces = viewAt(window, int(titles.indexOf("sgd vs sam: surfaces")));
  ASSERT_NE(surfaces, nullptr);
  EXPECT_EQ(surfaces->suggestedExportPath("pdf"),
            QString::fromStdString(dir.file("sgd-vs-sam-surfaces.pdf")));
  const QString elsewhere = QString::fromStdString(dir.path().string()) + "/figures";
  ASSERT_TRUE(QDir().mkpath(elsewhere));
  FigureView::rememberExportFolder(elsewhere + "/mine.png");
  EXPECT_EQ(surfaces->suggestedExportPath("png"), elsewhere + "/sgd-vs-sam-surfaces.png");
  QSettings().remove("export/lastFolder");
  ASSERT_EQ(window.openEntry("analyses/surface-sgd"), "");
  EXPECT_TRUE(viewAt(window, window.views()->currentIndex())
                  ->suggestedExportPath("svg")
                  .endsWith("/surface-sgd-surface.svg"));
}

TEST(WindowBrowser, KeyNumbersHaveTooltipsAndRefreshKeepsTheSelection) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeTwoRunsWithSurfaces(dir.file("p.h5"));
  MainWindow window;
  window.show();
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  ProjectBrowser& browser = *window.browser();
  int withNumbers = 0;
  for (QTreeWidgetItemIterator it(&browser); *it; ++it)
    if (!(*it)->text(2).isEmpty()) {
      ++withNumbers;
      EXPECT_EQ((*it)->toolTip(2), (*it)->text(2));
    }
  EXPECT_GE(withNumbers, 3);
  for (QTreeWidgetItemIterator it(&browser); *it; ++it)
    if ((*it)->data(0, Qt::UserRole).toString().startsWith("analyses/")) (*it)->setSelected(true);
  const QStringList selected = browser.selectedEntries();
  ASSERT_EQ(selected.size(), 2);
  browser.load(window.projectPath());
  EXPECT_EQ(browser.selectedEntries(), selected) << "a refresh dropped the selection";
}

// Many queued jobs: the one that runs is scrolled into view.
TEST(WindowJobs, TheRunningJobIsInView) {
  REQUIRE_DISPLAY();
  MainWindow window;
  window.resize(1200, 760);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  auto* table = window.jobPanel()->findChild<QTableWidget*>("jobTable");
  ASSERT_NE(table, nullptr);
  std::atomic<int> done{0};
  for (int i = 0; i < 14; ++i)
    window.jobs()->enqueue({QString("job %1").arg(i), [&done](const JobControl&) -> std::string {
                              QThread::msleep(30);
                              ++done;
                              return "ok";
                            }});
  window.jobs()->enqueue({"the last job", [](const JobControl&) -> std::string {
                            QThread::msleep(1500);
                            return "ok";
                          }});
  ASSERT_TRUE(QTest::qWaitFor([&] { return done == 14; }, 20000));
  QTest::qWait(200);
  const int last = table->rowCount() - 1;
  const QRect cell = table->visualItemRect(table->item(last, 0));
  EXPECT_TRUE(table->viewport()->rect().intersects(cell)) << "the running job is below the fold";
  EXPECT_GE(table->viewport()->height(), 4 * table->rowHeight(0)) << "fewer than four rows show";
  ASSERT_TRUE(QTest::qWaitFor([&] { return !window.jobs()->busy(); }, 20000));
}

// A per-class Hessian opens its per-class views as sub-views of one tab, not a tab each (#13
// item 4); the sub-view shown is the one exports and the camera action act on.
TEST(MainWindow, APerClassHessianOpensOneTabWithSubViews) {
  REQUIRE_DISPLAY();
  TempDir dir;
  JobControl control;
  HessianJobSettings hessian;
  hessian.input.model = "zoo:mlp";
  hessian.input.data = "synthetic:blobs:256:1";
  hessian.input.device = "cpu";
  hessian.topK = 1;
  hessian.perClass = true;
  hessian.trace = true;
  hessian.traceSamples = 5;
  hessian.projectPath = dir.file("p.h5");
  hessian.name = "h";
  runHessianJob(hessian, control);
  MainWindow window;
  window.show();
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  ASSERT_EQ(window.openEntry("analyses/h"), "");
  int groups = 0;
  for (int i = 0; i < window.views()->count(); ++i) {
    const QString title = window.views()->tabText(i);
    EXPECT_FALSE(title.contains("per-class-")) << title.toStdString() << " has a tab of its own";
    if (title != "h: per-class") continue;
    ++groups;
    const auto views = window.viewsOfTab(i);
    EXPECT_GE(views.size(), 2u);
    auto* subViews = qobject_cast<QTabWidget*>(window.views()->widget(i));
    ASSERT_NE(subViews, nullptr);
    window.views()->setCurrentIndex(i);
    subViews->setCurrentIndex(1);
    EXPECT_EQ(window.currentView(), views[1]);
    EXPECT_TRUE(views[1]->title().startsWith("h: per-class-")) << "exports are named after it";
  }
  EXPECT_EQ(groups, 1);
  EXPECT_TRUE(window.hasOpenView("analyses/h"));
}
