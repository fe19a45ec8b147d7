// Screenshots of the application as the user sees it.
#pragma once

#include <QPixmap>

class QWidget;

namespace flatland::app {

// The widget as the user sees it. QWidget::grab() alone shows a QOpenGLWidget without what its
// paintGL paints with QPainter over VTK's picture (the axes, ticks and colour bar of a 3-D view),
// so each visible QOpenGLWidget inside is drawn again from its own framebuffer. Reads no screen:
// other windows on top (parallel tests on one X server) do not matter.
QPixmap captureAsShown(QWidget& widget);

}  // namespace flatland::app
