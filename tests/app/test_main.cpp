// GoogleTest main for the GUI tests: a QApplication must exist before any widget.
#include <gtest/gtest.h>

#include <QApplication>
#include <QSurfaceFormat>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (qEnvironmentVariableIsEmpty("DISPLAY")) {
    // Qt 6.4's offscreen platform crashes with QOpenGLWidget; the tests skip instead.
    return RUN_ALL_TESTS();
  }
  QSurfaceFormat format;
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setDepthBufferSize(24);
  QSurfaceFormat::setDefaultFormat(format);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("FlatlandTests");  // keeps QSettings away from the user's
  QApplication::setApplicationName("FlatlandTests");
  return RUN_ALL_TESTS();
}
