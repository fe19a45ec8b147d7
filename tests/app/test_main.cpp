// GoogleTest main for the GUI tests: a QApplication must exist before any widget.
#include <gtest/gtest.h>

#include <QApplication>

#include "flatland/render/vtk_landscape_widget.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (qEnvironmentVariableIsEmpty("DISPLAY")) {
    // Qt 6.4's offscreen platform crashes with QOpenGLWidget; the tests skip instead.
    return RUN_ALL_TESTS();
  }
  flatland::render::VtkLandscapeWidget::setDefaultSurfaceFormat();
  QApplication app(argc, argv);
  QApplication::setOrganizationName("FlatlandTests");  // keeps QSettings away from the user's
  QApplication::setApplicationName("FlatlandTests");
  return RUN_ALL_TESTS();
}
