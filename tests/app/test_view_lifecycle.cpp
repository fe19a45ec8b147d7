// 3-D views in tabs that come and go while jobs finish: the steps of the crash in issue #13
// (hidden VTK views redrawn by a timer after their GL surface was gone), and a longer churn of
// opening, comparing, closing and switching tabs while jobs end.
#include <gtest/gtest.h>

#include <QApplication>
#include <QLabel>
#include <QMessageBox>
#include <QSlider>
#include <QTabWidget>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QTreeWidget>
#include <cmath>

#include "chart_interaction.h"
#include "figure_view.h"
#include "flatland/errors.h"
#include "flatland/training/trainer.h"
#include "job_queue.h"
#include "jobs.h"
#include "main_window.h"
#include "project_browser.h"
#include "test_util.h"
#include "window_capture.h"

using namespace flatland;
using namespace flatland::app;
using flatland::testing::TempDir;

namespace {

#define REQUIRE_DISPLAY() \
  if (!qApp) GTEST_SKIP() << "no DISPLAY: run the GUI tests under xvfb-run"

// Runs sgd and sam, each with a small surface (sam's along sgd's directions) and a Hessian.
void makeProjectOfTheIssue(const std::string& path) {
  for (const std::string optimizer : {"sgd", "sam"}) {
    training::TrainConfig c = flatland::testing::blobsTrainConfig();
    c.epochs = 2;
    c.runName = optimizer;
    training::applyOptimizerName(optimizer, c.optimizer);
    training::trainRun(c, path);
    const std::string model = path + ":/runs/" + optimizer;
    JobControl control;
    SurfaceJobSettings surface;
    surface.input.model = model;
    surface.input.data = "synthetic:blobs:256:1";
    surface.input.device = "cpu";
    surface.grid = "-1:1:7,-1:1:7";
    surface.projectPath = path;
    surface.name = "surface-" + optimizer;
    if (optimizer == "sam") surface.fromAnalysis = "surface-sgd";
    runSurfaceJob(surface, control);
    HessianJobSettings hessian;
    hessian.input = surface.input;
    // A surface's batch 0 means "by device"; the Hessian job needs a size.
    hessian.input.batchSize = HessianJobSettings{}.input.batchSize;
    hessian.topK = 2;
    hessian.trace = false;
    hessian.density = true;  // the spectrum view: the CLI's defaults compute no density
    hessian.densitySteps = 20;
    hessian.projectPath = path;
    hessian.name = "hessian-" + optimizer;
    runHessianJob(hessian, control);
  }
}

void selectEntries(ProjectBrowser& browser, const QStringList& entries) {
  browser.clearSelection();
  QTreeWidgetItemIterator it(&browser);
  for (; *it; ++it)
    if (entries.contains((*it)->data(0, Qt::UserRole).toString())) (*it)->setSelected(true);
}

// Ctrl+K as the user presses it (the window must be active for its shortcut).
void pressCompare(MainWindow& window) {
  window.activateWindow();
  (void)QTest::qWaitForWindowActive(&window, 2000);  // without a window manager it may not be
  QTest::keyClick(&window, Qt::Key_K, Qt::ControlModifier);
}

// Runs one short job to its end: a success, or a failure whose message box is closed.
void runJob(MainWindow& window, bool succeed) {
  bool finished = false;
  auto c = QObject::connect(window.jobs(), &JobQueue::jobFinished, [&] { finished = true; });
  QTimer closer;
  QObject::connect(&closer, &QTimer::timeout, [] {
    if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) box->accept();
  });
  closer.start(50);
  window.jobs()->enqueue(
      {succeed ? "quick job" : "failing job", [succeed](const JobControl&) -> std::string {
         if (!succeed) throw InvalidArgument("this job fails on purpose");
         return "done quickly";
       }});
  ASSERT_TRUE(QTest::qWaitFor([&] { return finished; }, 30000));
  QObject::disconnect(c);
  QTest::qWait(400);  // the views' redraw timers (150 ms) fire
}

int colourfulPixels(const QImage& image) {
  int n = 0;
  for (int y = 0; y < image.height(); y += 3)
    for (int x = 0; x < image.width(); x += 3) {
      const QColor c = image.pixelColor(x, y);
      if (c.hsvSaturation() > 80 && c.value() > 40) ++n;
    }
  return n;
}

}  // namespace

// Issue #13, item 1, step by step. Before the fix the window died at step 4 in
// vtkRenderWindow::RemoveRenderer called from a hidden view's timed redraw.
TEST(ViewLifecycle, HiddenThreeDViewsSurviveAJobFinishing) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeProjectOfTheIssue(dir.file("p.h5"));
  MainWindow window;
  window.resize(1200, 800);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  // 1. Open surface-sgd, then hessian-sgd.
  Q_EMIT window.browser()->openRequested("analyses/surface-sgd");
  QTest::qWait(300);
  Q_EMIT window.browser()->openRequested("analyses/hessian-sgd");
  QTest::qWait(300);
  // 2. Both Hessians, Ctrl+K; both surfaces, Ctrl+K.
  int tabs = window.views()->count();
  selectEntries(*window.browser(), {"analyses/hessian-sgd", "analyses/hessian-sam"});
  pressCompare(window);
  QTest::qWait(300);
  EXPECT_GT(window.views()->count(), tabs) << "Ctrl+K did not compare the Hessians";
  tabs = window.views()->count();
  selectEntries(*window.browser(), {"analyses/surface-sgd", "analyses/surface-sam"});
  pressCompare(window);
  QTest::qWait(300);
  EXPECT_GT(window.views()->count(), tabs) << "Ctrl+K did not compare the surfaces";
  // 3. Open run sgd; both runs, Ctrl+K.
  Q_EMIT window.browser()->openRequested("runs/sgd");
  QTest::qWait(300);
  tabs = window.views()->count();
  selectEntries(*window.browser(), {"runs/sgd", "runs/sam"});
  pressCompare(window);
  QTest::qWait(300);
  EXPECT_GT(window.views()->count(), tabs) << "Ctrl+K did not compare the runs";
  // 4. Any job ends: a success, then a failure.
  runJob(window, true);
  runJob(window, false);
  // The views area changes size (a panel resized, the window too): every hidden view hears of
  // it and redraws on its timer.
  window.resize(window.width() - 40, window.height() - 30);
  QTest::qWait(400);
  runJob(window, true);
  // Every 3-D view still draws its surface when its tab is shown.
  for (int i = 0; i < window.views()->count(); ++i) {
    auto* view = qobject_cast<FigureView*>(window.views()->widget(i));
    ASSERT_NE(view, nullptr);
    if (!render::isThreeDimensional(view->figure())) continue;
    window.views()->setCurrentIndex(i);
    QTest::qWait(400);
    auto* scene = view->findChild<QWidget*>("scene");
    ASSERT_NE(scene, nullptr);
    const QImage shot = captureAsShown(*scene).toImage();
    EXPECT_GT(colourfulPixels(shot), 200)
        << "tab " << window.views()->tabText(i).toStdString() << " is blank";
  }
}

// Many 3-D views opened, compared, switched between and closed while jobs end one after another.
TEST(ViewLifecycle, OpeningAndClosingManyThreeDViewsWhileJobsFinish) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeProjectOfTheIssue(dir.file("p.h5"));
  MainWindow window;
  window.resize(1200, 800);
  window.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&window));
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  window.setLiveRefreshInterval(60);
  for (int round = 0; round < 6; ++round) {
    ASSERT_EQ(window.openEntry(round % 2 ? "analyses/surface-sam" : "analyses/surface-sgd"), "");
    ASSERT_EQ(window.compare({"analyses/surface-sgd", "analyses/surface-sam"}), "");
    ASSERT_EQ(window.openEntry("analyses/hessian-sgd"), "");
    // A slow job keeps the live refresh going while tabs change under it.
    bool finished = false;
    auto c = QObject::connect(window.jobs(), &JobQueue::jobFinished, [&] { finished = true; });
    window.jobs()->enqueue({"slow job", [](const JobControl&) -> std::string {
                              QThread::msleep(600);
                              return "done slowly";
                            }});
    for (int i = 0; i < window.views()->count(); i += 2) {
      window.views()->setCurrentIndex(i);
      QTest::qWait(30);
    }
    // Close the oldest tabs (shown or hidden), as the close button does.
    // (A surface comparison opens six tabs, three of them flat: keep enough for 3-D ones to stay.)
    while (window.views()->count() > 12)
      Q_EMIT window.views()->tabCloseRequested(round % 2 ? 0 : 1);
    ASSERT_TRUE(QTest::qWaitFor([&] { return finished; }, 30000));
    QObject::disconnect(c);
    QTest::qWait(250);
  }
  // The survivors draw when shown.
  int drawn = 0;
  for (int i = 0; i < window.views()->count(); ++i) {
    auto* view = qobject_cast<FigureView*>(window.views()->widget(i));
    if (!view || !render::isThreeDimensional(view->figure())) continue;
    window.views()->setCurrentIndex(i);
    QTest::qWait(400);
    if (colourfulPixels(captureAsShown(*view->findChild<QWidget*>("scene")).toImage()) > 200)
      ++drawn;
    else
      ADD_FAILURE() << "tab " << window.views()->tabText(i).toStdString() << " is blank";
  }
  EXPECT_GT(drawn, 0);
  // Closing every tab at the end destroys the hidden and the shown views alike.
  while (window.views()->count() > 0) Q_EMIT window.views()->tabCloseRequested(0);
  QTest::qWait(100);
}

// The 2-D charts under the mouse (#13 item 3): hover reads a point, the wheel zooms around the
// cursor, a drag pans, a double-click shows all the data again, series hide from the menu, and a
// density is smoothed again from SLQ's nodes. What is shown is what is exported.
TEST(ChartInteraction, ZoomPanHoverHideAndSmooth) {
  if (!qApp) GTEST_SKIP() << "no DISPLAY: run the GUI tests under xvfb-run";
  render::CurvesFigure curves;
  curves.left.push_back({"loss", {0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}});
  curves.left.push_back({"other", {0, 4}, {0, 4}});
  FigureView view(curves);
  view.resize(640, 480);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  QTest::qWait(400);  // the first drawing waits for the resize to settle
  ChartInteraction* chart = view.chart();
  ASSERT_NE(chart, nullptr);
  EXPECT_EQ(chart->describeAt(chart->labelPointOf(2, 2)), "loss: x = 2, y = 2");
  EXPECT_EQ(chart->describeAt(chart->labelPointOf(2, 3.5)), "") << "nothing is that near";

  const auto shownWindow = [&] {
    return std::get<render::CurvesFigure>(view.figureAsShown()).window;
  };
  const QPointF centre = chart->labelPointOf(2, 2);
  chart->zoomAt(centre, 0.5);
  render::AxisWindow w = shownWindow();
  ASSERT_TRUE(w.hasX() && w.hasY());
  EXPECT_NEAR(2.0 - w.xLo, w.xHi - 2.0, 1e-9) << "the zoom is not centred on the cursor";
  EXPECT_LT(w.xHi - w.xLo, 2.2) << "a factor of 0.5 around x = 2 of about 0..4";
  chart->pan(chart->labelPointOf(2, 2), chart->labelPointOf(3, 2));
  const render::AxisWindow panned = shownWindow();
  EXPECT_NEAR(panned.xLo, w.xLo - 1.0, 1e-9) << "dragging right shows smaller x";
  EXPECT_NEAR(panned.yLo, w.yLo, 1e-9);
  chart->resetWindow();
  EXPECT_FALSE(shownWindow().hasX());

  chart->setSeriesHidden(1, true);
  EXPECT_TRUE(std::get<render::CurvesFigure>(view.figureAsShown()).left[1].hidden);
  // A click on a legend row hides or shows its series; a hidden one stays there, greyed.
  chart->setSeriesHidden(1, false);
  auto* canvas = view.findChild<QLabel*>("chartImage");
  ASSERT_NE(canvas, nullptr);
  ASSERT_TRUE(QTest::qWaitFor([&] { return chart->legendPointOf(0).has_value(); }, 3000));
  QTest::mouseClick(canvas, Qt::LeftButton, {}, chart->legendPointOf(0)->toPoint());
  EXPECT_TRUE(std::get<render::CurvesFigure>(view.figureAsShown()).left[0].hidden);
  QTest::qWait(300);  // drawn again: the hidden series keeps its row
  ASSERT_TRUE(chart->legendPointOf(0).has_value()) << "a hidden series left the legend";
  QTest::mouseClick(canvas, Qt::LeftButton, {}, chart->legendPointOf(0)->toPoint());
  EXPECT_FALSE(std::get<render::CurvesFigure>(view.figureAsShown()).left[0].hidden);
  QTest::qWait(300);
  EXPECT_EQ(chart->describeAt(chart->labelPointOf(2, 2)), "loss: x = 2, y = 2");
  chart->setLogY(true);
  EXPECT_TRUE(std::get<render::CurvesFigure>(view.figureAsShown()).logY);

  render::DensityFigure density;
  std::vector<double> grid;
  for (int k = 0; k <= 400; ++k) grid.push_back(-4.0 + 0.02 * k);
  density.densities.push_back({"full data", grid, std::vector<double>(grid.size(), 1e-3)});
  density.nodes = {{{-1.0, 1.0}}};
  density.weights = {{{0.25, 0.75}}};
  FigureView densityView(density);
  auto* slider = densityView.findChild<QSlider*>("smoothing");
  ASSERT_NE(slider, nullptr) << "no smoothing slider for a density with nodes";
  slider->setValue(80);  // σ above the stored width: the curve is now the nodes' smoothing
  EXPECT_GT(std::get<render::DensityFigure>(densityView.figureAsShown()).densities[0].ys[250], 0.1);
  densityView.chart()->setSmoothing(0.3);
  const auto& smoothed =
      std::get<render::DensityFigure>(densityView.figureAsShown()).densities[0].ys;
  double integral = 0.0;
  for (double v : smoothed) integral += v * 0.02;
  EXPECT_NEAR(integral, 1.0, 1e-3);  // both kernels lie well inside the grid
  // At a node the density is its weight's kernel peak (the other node is 6.7 σ away).
  EXPECT_NEAR(smoothed[250], 0.75 / (0.3 * std::sqrt(2 * M_PI)), 1e-6);
}
