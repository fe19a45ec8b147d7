// QPainter needs a QGuiApplication for fonts; library entry points that paint make sure one exists.
#pragma once

namespace flatland::render {

// Creates a process-wide QGuiApplication when none exists (the CLI and tests have none). Without
// an X display it uses Qt's "offscreen" platform, which is fine for QPainter on images, PDF and
// SVG (it is only QOpenGLWidget that crashes there). Throws RenderError when a non-GUI
// QCoreApplication already exists.
void ensureGuiApplication();

}  // namespace flatland::render
