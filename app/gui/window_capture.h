// Screenshots of the application as the user sees it.
#pragma once

#include <QPixmap>

class QWidget;

namespace flatland::app {

// The widget as the screen shows it. QWidget::grab() re-renders a QOpenGLWidget into an image
// without what its paintGL painted with QPainter over VTK's picture (the axes, ticks and colour
// bar of a 3-D view), so the screen is read instead; grab() is the fallback where the platform
// cannot read the screen (the offscreen platform) or the widget is not wholly on it.
QPixmap captureAsShown(QWidget& widget);

}  // namespace flatland::app
