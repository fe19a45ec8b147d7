#include "window_capture.h"

#include <QGuiApplication>
#include <QPoint>
#include <QScreen>
#include <QWidget>

namespace flatland::app {

QPixmap captureAsShown(QWidget& widget) {
  QScreen* screen = widget.screen();
  const QRect onScreen(widget.mapToGlobal(QPoint(0, 0)), widget.size());
  if (screen && widget.isVisible() && screen->geometry().contains(onScreen) &&
      QGuiApplication::platformName() != "offscreen") {
    QPixmap shot = screen->grabWindow(0, onScreen.x(), onScreen.y(), onScreen.width(),
                                      onScreen.height());
    if (!shot.isNull()) return shot;
  }
  return widget.grab();
}

}  // namespace flatland::app
