// The desktop application under Xvfb: open a project, launch a job from a form and see it
// finish and appear, cancel a job, reject bad form values, and write a screenshot to look at.
#include <gtest/gtest.h>

#include <QApplication>
#include <QComboBox>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTest>

#include <cstdlib>
#include <fstream>
#include <set>

#include "figure_view.h"
#include "flatland/training/project_file.h"
#include "flatland/training/trainer.h"
#include "job_panel.h"
#include "job_queue.h"
#include "launch_forms.h"
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

void useSmallData(ModelDataFields* fields, const QString& model = "zoo:mlp") {
  fields->model->setCurrentText(model);
  fields->data->setCurrentText("synthetic:blobs:512:1");
  fields->samples->setValue(0);
  fields->device->setCurrentText("cpu");
}

// Waits for the job queue to run dry; returns the last job's (ok, message).
std::pair<bool, QString> waitForJobs(MainWindow& window, int timeoutMs = 240000) {
  std::pair<bool, QString> last{false, "timed out"};
  auto connection = QObject::connect(window.jobs(), &JobQueue::jobFinished,
                                     [&](int, bool ok, bool, const QString& m) {
                                       last = {ok, m};
                                     });
  (void)QTest::qWaitFor([&] { return !window.jobs()->busy(); }, timeoutMs);
  QTest::qWait(50);  // let the queued finished-signal reach the window
  QObject::disconnect(connection);
  return last;
}

// Adds a short run of an MLP on synthetic blobs, named after its optimizer.
void makeProjectWithRun(const std::string& path, const std::string& optimizer = "sgd") {
  training::TrainConfig c = flatland::testing::blobsTrainConfig();
  c.epochs = 2;
  c.runName = optimizer;
  training::applyOptimizerName(optimizer, c.optimizer);
  training::trainRun(c, path);
}

}  // namespace

TEST(MainWindow, OpensAProjectAndShowsItsTree) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeProjectWithRun(dir.file("p.h5"));
  MainWindow window;
  window.show();
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  EXPECT_TRUE(window.browser()->entries().contains("runs/sgd"));
  EXPECT_EQ(window.openEntry("runs/sgd"), "");
  EXPECT_GE(window.views()->count(), 1);
  // A file that is not a project is refused with a message, and the open project stays.
  std::ofstream(dir.file("notes.h5")) << "text";
  EXPECT_NE(window.openProject(QString::fromStdString(dir.file("notes.h5")), false), "");
  EXPECT_TRUE(window.projectPath().endsWith("p.h5"));
}

// The default run name is free in the project and follows the optimizer (issue #13: it stayed
// "sgd-2" after switching to SAM); a name the user typed stays.
TEST(MainWindow, TheDefaultRunNameFollowsTheOptimizer) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeProjectWithRun(dir.file("p.h5"));
  MainWindow window;
  ASSERT_EQ(window.openProject(QString::fromStdString(dir.file("p.h5")), false), "");
  auto* train = window.trainForm();
  train->optimizer->setCurrentText("sgd");
  EXPECT_EQ(train->runName->text(), "sgd-2");
  train->optimizer->setCurrentText("sam");
  EXPECT_EQ(train->runName->text(), "sam");
  train->optimizer->setCurrentText("sgd");
  EXPECT_EQ(train->runName->text(), "sgd-2");
  train->runName->setText("my-baseline");
  train->optimizer->setCurrentText("asam");
  EXPECT_EQ(train->runName->text(), "my-baseline");
}

TEST(MainWindow, FormsRejectBadValuesWithAMessage) {
  REQUIRE_DISPLAY();
  TempDir dir;
  MainWindow window;
  window.openProject(QString::fromStdString(dir.file("p.h5")), false);
  auto* train = window.trainForm();
  train->input->data->setCurrentText("mnist:train");
  EXPECT_FALSE(train->runButton()->isEnabled());
  EXPECT_TRUE(train->problemLabel()->text().contains("bad data spec"))
      << train->problemLabel()->text().toStdString();
  train->input->data->setCurrentText("synthetic:blobs");
  train->testData->setCurrentText("synthetic:blobs");
  train->runName->setText("bad name!");
  EXPECT_FALSE(train->runButton()->isEnabled());
  train->runName->setText("good-name");
  EXPECT_TRUE(train->runButton()->isEnabled()) << train->problemLabel()->text().toStdString();

  auto* surface = window.surfaceForm();
  useSmallData(surface->input);
  surface->grid->setText("-1:1");
  EXPECT_FALSE(surface->runButton()->isEnabled());
  EXPECT_TRUE(surface->problemLabel()->text().contains("lo:hi:n"));
  auto* hessian = window.hessianForm();
  useSmallData(hessian->input);  // so the data set is not what disables Run
  hessian->batchSweep->setText("16,abc");
  EXPECT_FALSE(hessian->runButton()->isEnabled());
  EXPECT_TRUE(hessian->problemLabel()->text().startsWith("Batch-size sweep:"))
      << hessian->problemLabel()->text().toStdString();
  hessian->batchSweep->setText("16,64");
  EXPECT_TRUE(hessian->runButton()->isEnabled()) << hessian->problemLabel()->text().toStdString();
  hessian->input->model->setCurrentText("/nonexistent/model.pt");
  EXPECT_TRUE(hessian->problemLabel()->text().contains("not found"));
}

TEST(MainWindow, TrainFromTheFormReachesOneHundredPercentAndAppears) {
  REQUIRE_DISPLAY();
  TempDir dir;
  MainWindow window;
  window.show();
  window.openProject(QString::fromStdString(dir.file("p.h5")), false);
  auto* train = window.trainForm();
  useSmallData(train->input);
  train->testData->setCurrentText("synthetic:blobs:256:1");
  train->epochs->setValue(2);
  // Settings from the folded "More settings" part reach the stored run.
  train->optimizer->setCurrentText("asam");
  EXPECT_FALSE(train->more->isVisible());
  QTest::mouseClick(train->moreToggle, Qt::LeftButton);
  EXPECT_TRUE(train->more->isVisible());
  EXPECT_TRUE(train->asamEta->isEnabled());
  EXPECT_FALSE(train->heroLambda->isEnabled());
  train->asamEta->setValue(0.02);
  train->momentum->setValue(0.8);
  train->schedule->setCurrentText("step");
  EXPECT_FALSE(train->runButton()->isEnabled()) << "a step schedule without milestones";
  train->milestones->setText("1");
  train->loss->setCurrentText("ldam");
  train->checkpointEvery->setValue(2);
  train->runName->setText("from-gui");
  window.resize(1300, 1000);
  QTest::qWait(50);
  EXPECT_TRUE(captureAsShown(window).save(QString(FLATLAND_TEST_OUTPUT_DIR) + "/train_form.png"));
  int id = -1;
  auto c = QObject::connect(window.jobs(), &JobQueue::jobQueued,
                            [&](int queued, const QString&) { id = queued; });
  ASSERT_TRUE(train->runButton()->isEnabled()) << train->problemLabel()->text().toStdString();
  QTest::mouseClick(train->runButton(), Qt::LeftButton);
  QObject::disconnect(c);
  auto [ok, message] = waitForJobs(window);
  EXPECT_TRUE(ok) << message.toStdString();
  EXPECT_EQ(window.jobPanel()->progressOf(id), 100);
  EXPECT_EQ(window.jobPanel()->statusOf(id), "done");
  EXPECT_TRUE(window.browser()->entries().contains("runs/from-gui"));
  const auto run = training::ProjectFile::open(dir.file("p.h5")).read("/runs/from-gui", false);
  const std::string settings = run.text("settings");
  for (const char* expected :
       {"\"optimizer\":\"asam\"", "\"asam_eta\":0.02", "\"momentum\":0.8", "\"schedule\":\"step\"",
        "\"milestones\":[1]", "\"loss\":\"ldam\"", "\"checkpoint_every\":2"})
    EXPECT_NE(settings.find(expected), std::string::npos) << expected << " not in " << settings;
}

TEST(MainWindow, CancelStopsAJobAndKeepsWhatItSaved) {
  REQUIRE_DISPLAY();
  TempDir dir;
  MainWindow window;
  window.openProject(QString::fromStdString(dir.file("p.h5")), false);
  auto* train = window.trainForm();
  useSmallData(train->input);
  train->testData->setCurrentText("synthetic:blobs:256:1");
  train->epochs->setValue(5000);
  train->runName->setText("long");
  int id = -1;
  bool started = false;
  QObject::connect(window.jobs(), &JobQueue::jobQueued,
                   [&](int queued, const QString&) { id = queued; });
  QObject::connect(window.jobs(), &JobQueue::jobProgress,
                   [&](int, double, const QString&, const QString&) { started = true; });
  window.setLiveRefreshInterval(100);
  QTest::mouseClick(train->runButton(), Qt::LeftButton);
  ASSERT_TRUE(QTest::qWaitFor([&] { return started; }, 60000));
  // The run opens by itself while it trains, and its curves grow.
  ASSERT_TRUE(QTest::qWaitFor([&] { return window.hasOpenView("runs/long"); }, 30000));
  EXPECT_TRUE(window.jobs()->busy());
  const auto epochsShown = [&] {
    for (int i = 0; i < window.views()->count(); ++i)
      if (auto* view = qobject_cast<FigureView*>(window.views()->widget(i)))
        if (auto* curves = std::get_if<render::CurvesFigure>(&view->figure());
            curves && !curves->left.empty())
          return curves->left.front().xs.size();
    return size_t(0);
  };
  const size_t firstSeen = epochsShown();
  EXPECT_TRUE(QTest::qWaitFor([&] { return epochsShown() > firstSeen; }, 30000))
      << "the curves did not grow";
  auto* cancel = window.jobPanel()->findChild<QPushButton*>(QString("cancelJob%1").arg(id));
  ASSERT_NE(cancel, nullptr);
  QTest::mouseClick(cancel, Qt::LeftButton);
  waitForJobs(window, 60000);
  EXPECT_EQ(window.jobPanel()->statusOf(id), "cancelled");
  auto run = training::ProjectFile::open(dir.file("p.h5")).read("/runs/long", false);
  EXPECT_EQ(run.text("status"), "cancelled");
}

// The path users come for: an analysis from the GUI, a surface and a density open, and a
// screenshot written for a person to look at (tests/app/main_window.png in the build folder).
TEST(MainWindow, SurfaceAndDensityFromTheFormsAndAScreenshot) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeProjectWithRun(dir.file("p.h5"));
  MainWindow window;
  window.resize(1500, 950);
  window.show();
  window.openProject(QString::fromStdString(dir.file("p.h5")), false);
  const QString model = QString::fromStdString(dir.file("p.h5")) + ":/runs/sgd";

  auto* surface = window.surfaceForm();
  useSmallData(surface->input, model);
  surface->grid->setText("-1:1:13,-1:1:13");
  surface->name->setText("surface-sgd");
  ASSERT_TRUE(surface->runButton()->isEnabled()) << surface->problemLabel()->text().toStdString();
  QTest::mouseClick(surface->runButton(), Qt::LeftButton);
  auto [surfaceOk, surfaceMessage] = waitForJobs(window);
  ASSERT_TRUE(surfaceOk) << surfaceMessage.toStdString();

  auto* hessian = window.hessianForm();
  useSmallData(hessian->input, model);
  hessian->topK->setValue(3);
  hessian->bottomK->setValue(1);
  hessian->name->setText("hessian-sgd");
  QTest::mouseClick(hessian->runButton(), Qt::LeftButton);
  auto [hessianOk, hessianMessage] = waitForJobs(window);
  ASSERT_TRUE(hessianOk) << hessianMessage.toStdString();

  EXPECT_TRUE(window.browser()->entries().contains("analyses/surface-sgd"));
  EXPECT_TRUE(window.browser()->entries().contains("analyses/hessian-sgd"));
  // Finished analyses open by themselves, once each; show the surface last.
  std::set<QString> titles;
  for (int i = 0; i < window.views()->count(); ++i)
    EXPECT_TRUE(titles.insert(window.views()->tabText(i)).second)
        << "opened twice: " << window.views()->tabText(i).toStdString();
  EXPECT_TRUE(titles.count("surface-sgd: surface"));
  for (int i = 0; i < window.views()->count(); ++i)
    if (window.views()->tabText(i).contains("surface-sgd: surface"))
      window.views()->setCurrentIndex(i);
  QTest::qWait(600);  // views redraw after a short pause
  QImage shot = captureAsShown(window).toImage();
  ASSERT_FALSE(shot.isNull());
  const QString out = QString(FLATLAND_TEST_OUTPUT_DIR) + "/main_window.png";
  EXPECT_TRUE(shot.save(out));
  // The view is not blank: it holds many distinct colours.
  auto* view = qobject_cast<FigureView*>(window.views()->currentWidget());
  ASSERT_NE(view, nullptr);
  auto* scene = view->findChild<QWidget*>("scene");
  ASSERT_NE(scene, nullptr);
  QImage viewShot = captureAsShown(*scene).toImage();
  std::set<QRgb> colours;
  int textPixels = 0;  // near-black greys: tick labels and axis titles, never a viridis colour
  for (int y = 0; y < viewShot.height(); y += 2)
    for (int x = 0; x < viewShot.width(); x += 2) {
      const QColor c = viewShot.pixelColor(x, y);
      colours.insert(c.rgb());
      if (c.red() < 90 && std::abs(c.red() - c.green()) < 12 && std::abs(c.red() - c.blue()) < 12)
        ++textPixels;
    }
  EXPECT_GT(colours.size(), 50u);
  // The axes, ticks and colour bar are painted over the 3-D scene on screen.
  EXPECT_GT(textPixels, 200);
}

// The rest of the path a new user takes: compare two runs' surfaces and spectra, then export the
// comparison for a paper (PNG at a chosen size, PDF and SVG as vectors).
TEST(MainWindow, CompareTwoRunsAndExportTheFigures) {
  REQUIRE_DISPLAY();
  TempDir dir;
  makeProjectWithRun(dir.file("p.h5"), "sgd");
  makeProjectWithRun(dir.file("p.h5"), "sam");

  MainWindow window;
  window.show();
  window.openProject(QString::fromStdString(dir.file("p.h5")), false);
  for (const QString run : {"sgd", "sam"}) {
    auto* surface = window.surfaceForm();
    useSmallData(surface->input, QString::fromStdString(dir.file("p.h5")) + ":/runs/" + run);
    surface->grid->setText("-1:1:7,-1:1:7");
    surface->name->setText("surface-" + run);
    // SAM's minimum along the very vectors SGD's surface used: the fair comparison.
    surface->fromAnalysis->setText(run == "sam" ? "surface-sgd" : "");
    QTest::mouseClick(surface->runButton(), Qt::LeftButton);
    ASSERT_TRUE(waitForJobs(window).first);
    auto* hessian = window.hessianForm();
    useSmallData(hessian->input, QString::fromStdString(dir.file("p.h5")) + ":/runs/" + run);
    hessian->topK->setValue(2);
    hessian->name->setText("hessian-" + run);
    QTest::mouseClick(hessian->runButton(), Qt::LeftButton);
    ASSERT_TRUE(waitForJobs(window).first);
  }
  while (window.views()->count() > 0) delete window.views()->widget(0);
  const auto figureAt = [&](int i) -> const render::Figure& {
    return qobject_cast<FigureView*>(window.views()->widget(i))->figure();
  };
  EXPECT_EQ(window.compare({"analyses/surface-sgd", "analyses/surface-sam"}), "");
  // Panels, contour maps, slices through the centre, numbers, the curvature of the two runs (both
  // have a Hessian analysis) and (shared directions) the difference map.
  ASSERT_EQ(window.views()->count(), 6);
  const auto* surfaces = std::get_if<render::ComparisonFigure>(&figureAt(0));
  ASSERT_NE(surfaces, nullptr);
  EXPECT_NE(surfaces->title.find("shared directions"), std::string::npos) << surfaces->title;
  EXPECT_EQ(window.compare({"analyses/hessian-sgd", "analyses/hessian-sam"}), "");
  // One of each kind has nothing to compare: refused with a message, no view added.
  const int before = window.views()->count();
  EXPECT_NE(window.compare({"analyses/surface-sgd", "analyses/hessian-sam"}), "");
  EXPECT_EQ(window.views()->count(), before);
  // A mixed selection compares each kind with itself; runs compare their training curves.
  EXPECT_EQ(window.compare({"runs/sgd", "runs/sam", "analyses/surface-sgd", "analyses/hessian-sgd",
                            "analyses/surface-sam", "analyses/hessian-sam"}),
            "");
  std::set<std::string> kinds;
  for (int i = before; i < window.views()->count(); ++i)
    kinds.insert(render::figureKind(figureAt(i)));
  EXPECT_EQ(kinds, (std::set<std::string>{"curves", "comparison", "density", "bars", "contour"}));
  const auto* accuracy = std::get_if<render::CurvesFigure>(&figureAt(before));
  ASSERT_NE(accuracy, nullptr);
  EXPECT_EQ(accuracy->left.size(), 2u) << "one test-accuracy curve per run";
  ASSERT_GE(window.views()->count(), 2);
  QTest::qWait(300);
  for (int i = 0; i < window.views()->count(); ++i) {
    auto* view = qobject_cast<FigureView*>(window.views()->widget(i));
    ASSERT_NE(view, nullptr);
    for (const char* ext : {"png", "pdf", "svg"}) {
      const QString path =
          QString::fromStdString(dir.file("figure" + std::to_string(i) + "." + ext));
      ASSERT_NO_THROW(view->exportTo(path, 1050, 780, 300, false)) << path.toStdString();
      EXPECT_GT(QFileInfo(path).size(), 1000) << path.toStdString();
    }
    QImage png(QString::fromStdString(dir.file("figure" + std::to_string(i) + ".png")));
    EXPECT_EQ(png.width(), 1050);
    EXPECT_EQ(png.height(), 780);
  }
}
