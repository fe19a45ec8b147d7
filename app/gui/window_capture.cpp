#include "window_capture.h"

#include <QImage>
#include <QOpenGLWidget>
#include <QPainter>
#include <QWidget>

namespace flatland::app {

QPixmap captureAsShown(QWidget& widget) {
  if (auto* gl = qobject_cast<QOpenGLWidget*>(&widget))
    return QPixmap::fromImage(gl->grabFramebuffer());
  QPixmap shot = widget.grab();
  QPainter painter(&shot);
  for (auto* gl : widget.findChildren<QOpenGLWidget*>()) {
    if (!gl->isVisible()) continue;  // e.g. in a tab that is not shown
    QImage frame = gl->grabFramebuffer();
    frame.setDevicePixelRatio(gl->devicePixelRatioF());
    painter.drawImage(gl->mapTo(&widget, QPoint(0, 0)), frame);
  }
  return shot;
}

}  // namespace flatland::app
