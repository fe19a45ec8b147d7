#include "gui_application.h"

#include <QGuiApplication>
#include <cstdlib>

#include "flatland/errors.h"
#include "flatland/render/export_figure.h"

namespace flatland::render {

void ensureGuiApplication() {
  if (auto* existing = QCoreApplication::instance()) {
    if (!qobject_cast<QGuiApplication*>(existing))
      throw RenderError("figures need a QGuiApplication, but this process made a QCoreApplication");
    return;
  }
  if (!displayAvailable() && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  static int argc = 1;
  static char name[] = "flatland";
  static char* argv[] = {name, nullptr};
  // Lives until the process ends: Qt allows one application object, created once.
  static QGuiApplication* application = new QGuiApplication(argc, argv);
  (void)application;
}

}  // namespace flatland::render
