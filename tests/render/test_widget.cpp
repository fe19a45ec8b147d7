// Smoke test of the Qt 6 widget under Xvfb: it draws a surface, and mouse events reach VTK's
// interactor and turn the camera.
#include <gtest/gtest.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkRendererCollection.h>

#include <QApplication>
#include <QMouseEvent>
#include <QTest>
#include <QWheelEvent>
#include <array>

#include "flatland/errors.h"
#include "flatland/render/synthetic_figures.h"
#include "flatland/render/vtk_landscape_widget.h"
#include "image_compare.h"

namespace flatland::render {
namespace {

std::array<double, 3> cameraPosition(vtkCamera* camera) {
  std::array<double, 3> p;
  camera->GetPosition(p.data());
  return p;
}

// Pixels that are clearly coloured (viridis greens/purples/yellows), not white, grey or black.
int colouredPixels(const QImage& image) {
  int n = 0;
  for (int y = 0; y < image.height(); y += 2)
    for (int x = 0; x < image.width(); x += 2) {
      const QColor c = image.pixelColor(x, y);
      if (c.hsvSaturation() > 80 && c.value() > 40) ++n;
    }
  return n;
}

void sendMouse(QWidget* widget, QEvent::Type type, QPointF at, Qt::MouseButtons buttons) {
  QMouseEvent event(type, at, widget->mapToGlobal(at),
                    type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton, buttons,
                    Qt::NoModifier);
  QApplication::sendEvent(widget, &event);
}

TEST(VtkLandscapeWidget, DrawsSurfaceAndMouseTurnsCamera) {
  if (!test::haveDisplay()) GTEST_SKIP() << "the widget needs an X display: run under xvfb-run";
  VtkLandscapeWidget widget;
  widget.resize(480, 360);
  widget.setFigure(syntheticFigure("surface"));
  widget.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&widget));
  QTest::qWait(200);

  const QImage before = widget.grabFramebuffer();
  before.save(QString::fromStdString(test::outputPath("widget_surface.png")));
  ASSERT_FALSE(before.isNull());
  const int coloured = colouredPixels(before);
  // The surface covers well over a tenth of the window (samples on a 2-pixel lattice).
  EXPECT_GT(coloured, (before.width() / 2) * (before.height() / 2) / 10)
      << "the surface is missing (black or empty frame?)";

  const auto start = cameraPosition(widget.camera());
  const QPointF centre(240, 180);
  sendMouse(&widget, QEvent::MouseButtonPress, centre, Qt::LeftButton);
  for (int i = 1; i <= 10; ++i)
    sendMouse(&widget, QEvent::MouseMove, centre + QPointF(8.0 * i, 3.0 * i), Qt::LeftButton);
  sendMouse(&widget, QEvent::MouseButtonRelease, centre + QPointF(80, 30), Qt::NoButton);
  QTest::qWait(100);
  const auto moved = cameraPosition(widget.camera());
  const double distance = std::hypot(moved[0] - start[0], moved[1] - start[1], moved[2] - start[2]);
  EXPECT_GT(distance, 0.5) << "dragging did not rotate the camera";

  const QImage after = widget.grabFramebuffer();
  EXPECT_GT(test::compareImages(before, after).meanAbsolute, 1.0) << "the view did not change";
  EXPECT_GT(colouredPixels(after), (after.width() / 2) * (after.height() / 2) / 20);

  // Reset puts the camera back.
  widget.resetCamera();
  const auto reset = cameraPosition(widget.camera());
  EXPECT_NEAR(reset[0], start[0], 1e-9);
  EXPECT_NEAR(reset[2], start[2], 1e-9);

  // After a resize the frame has the new size and still shows the surface.
  widget.resize(300, 420);
  QTest::qWait(100);
  const QImage resized = widget.grabFramebuffer();
  EXPECT_EQ(resized.size(), QSize(300, 420) * widget.devicePixelRatio());
  EXPECT_GT(colouredPixels(resized), (resized.width() / 2) * (resized.height() / 2) / 20);
  resized.save(QString::fromStdString(test::outputPath("widget_resized.png")));
}

TEST(VtkLandscapeWidget, WheelAndKeysMoveTheCamera) {
  if (!test::haveDisplay()) GTEST_SKIP() << "the widget needs an X display: run under xvfb-run";
  VtkLandscapeWidget widget;
  widget.resize(400, 300);
  widget.setFigure(syntheticFigure("volume"));
  widget.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&widget));
  vtkCamera* camera = widget.camera();
  const double scale = camera->GetParallelScale();
  QWheelEvent wheel(QPointF(200, 150), widget.mapToGlobal(QPointF(200, 150)), QPoint(),
                    QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(&widget, &wheel);
  EXPECT_LT(camera->GetParallelScale(), scale) << "wheel forward should zoom in";

  const auto before = cameraPosition(camera);
  QTest::keyClick(&widget, Qt::Key_Left);
  const auto turned = cameraPosition(camera);
  EXPECT_GT(std::hypot(turned[0] - before[0], turned[1] - before[1]), 0.1) << "Left should turn";

  QTest::keyClick(&widget, Qt::Key_R);
  EXPECT_NEAR(camera->GetParallelScale(), scale, 1e-9) << "R should reset the zoom";
  const auto reset = cameraPosition(camera);
  EXPECT_NEAR(reset[0], before[0], 1e-9);
  EXPECT_NEAR(reset[1], before[1], 1e-9);
  QTest::qWait(50);
  EXPECT_GT(colouredPixels(widget.grabFramebuffer()), 500);
}

// A running job redraws its surface every few seconds: the user's view must survive that.
TEST(VtkLandscapeWidget, NewDataOfTheSameKindKeepsTheCamera) {
  if (!test::haveDisplay()) GTEST_SKIP() << "the widget needs an X display: run under xvfb-run";
  VtkLandscapeWidget widget;
  widget.resize(400, 300);
  widget.setFigure(syntheticFigure("surface"));
  widget.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&widget));
  const auto fitted = cameraPosition(widget.camera());
  QTest::keyClick(&widget, Qt::Key_Left);
  QWheelEvent wheel(QPointF(200, 150), widget.mapToGlobal(QPointF(200, 150)), QPoint(),
                    QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(&widget, &wheel);
  const auto turned = cameraPosition(widget.camera());
  const double zoomed = widget.camera()->GetParallelScale();
  ASSERT_GT(std::hypot(turned[0] - fitted[0], turned[1] - fitted[1]), 0.1);

  widget.setFigure(syntheticFigure("surface"));
  const auto kept = cameraPosition(widget.camera());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(kept[i], turned[i], 1e-9) << "new data reset the camera";
  EXPECT_NEAR(widget.camera()->GetParallelScale(), zoomed, 1e-9) << "new data reset the zoom";

  // Another kind of view starts from its own angles.
  widget.setFigure(syntheticFigure("volume"));
  widget.setFigure(syntheticFigure("surface"));
  const auto fresh = cameraPosition(widget.camera());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(fresh[i], fitted[i], 1e-9);
}

TEST(VtkLandscapeWidget, ComparisonPanelsShareOneCamera) {
  if (!test::haveDisplay()) GTEST_SKIP() << "the widget needs an X display: run under xvfb-run";
  VtkLandscapeWidget widget;
  widget.resize(640, 300);
  widget.setFigure(syntheticFigure("comparison"));
  widget.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&widget));
  std::vector<vtkRenderer*> panels;
  auto* renderers = widget.renderWindow()->GetRenderers();
  renderers->InitTraversal();
  while (vtkRenderer* renderer = renderers->GetNextItem())
    if (renderer->GetInteractive()) panels.push_back(renderer);
  ASSERT_EQ(panels.size(), 2u);
  // Linked cameras: one camera object, so turning one panel turns the other.
  EXPECT_EQ(panels[0]->GetActiveCamera(), panels[1]->GetActiveCamera());
  EXPECT_EQ(panels[0]->GetActiveCamera(), widget.camera());
  // Side by side: the left panel's viewport ends where the right one's begins (or before).
  EXPECT_LE(panels[0]->GetViewport()[2], panels[1]->GetViewport()[0] + 1e-9);
  const QImage frame = widget.grabFramebuffer();
  int left = 0, right = 0;
  for (int y = 0; y < frame.height(); y += 2)
    for (int x = 0; x < frame.width(); x += 2) {
      const QColor c = frame.pixelColor(x, y);
      if (c.hsvSaturation() > 80 && c.value() > 40) (x < frame.width() * 0.42 ? left : right)++;
    }
  EXPECT_GT(left, 300);
  EXPECT_GT(right, 300);
}

TEST(VtkLandscapeWidget, RejectsTwoDimensionalFigures) {
  if (!test::haveDisplay()) GTEST_SKIP() << "the widget needs an X display: run under xvfb-run";
  VtkLandscapeWidget widget;
  EXPECT_THROW(widget.setFigure(syntheticFigure("curves")), RenderError);
}

}  // namespace
}  // namespace flatland::render
