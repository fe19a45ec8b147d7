// GoogleTest main for flatland_render_tests: one QApplication for the whole run, created the way
// the desktop app does it (OpenGL surface format first).
#include <gtest/gtest.h>

#include <QApplication>
#include <cstdlib>

#include "flatland/render/vtk_landscape_widget.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* display = std::getenv("DISPLAY");
  // Without X, QPainter tests still run on Qt's offscreen platform; tests that need OpenGL skip.
  if (!(display && *display) && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  flatland::render::VtkLandscapeWidget::setDefaultSurfaceFormat();
  QApplication application(argc, argv);
  return RUN_ALL_TESTS();
}
