// GoogleTest main for the GUI tests: a QApplication must exist before any widget.
#include <gtest/gtest.h>

#include <QApplication>
#include <QSettings>
#include <QTemporaryDir>

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
  // And each test process from the others': the forms keep their values between sessions, and
  // one test's choices must not become another's defaults.
  QTemporaryDir settingsDir;
  QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
  return RUN_ALL_TESTS();
}
