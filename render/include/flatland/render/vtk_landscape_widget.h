// A Qt 6 widget that shows the 3-D views (surface, comparison, volume) with VTK and lets the user
// rotate, pan and zoom. VTK's own Qt module is built for Qt 5 on Debian, so this hosts a
// vtkGenericOpenGLRenderWindow in a QOpenGLWidget the way QVTKOpenGLNativeWidget does.
//
// VTK frees GL objects whenever a scene changes (RemoveRenderer), so every VTK call that may do
// so runs with this widget's own context current — never another widget's (it would delete that
// one's objects) and never a context that is gone (a crash). When Qt destroys the context (the
// widget moves to another window, or dies), VTK's resources are released first, in it.
#pragma once

#include <QOpenGLWidget>
#include <memory>

#include "flatland/render/figures.h"

class vtkCamera;
class vtkGenericOpenGLRenderWindow;

namespace flatland::render {

class VtkLandscapeWidget : public QOpenGLWidget {
  Q_OBJECT

 public:
  explicit VtkLandscapeWidget(QWidget* parent = nullptr);
  ~VtkLandscapeWidget() override;

  // OpenGL 3.2 core with a depth buffer, as VTK needs; call before the QApplication is created.
  static void setDefaultSurfaceFormat();

  // Shows a 3-D figure; throws RenderError for 2-D figures (draw those with exportFigure or a
  // QPainter) and for malformed data. A figure of the same kind as the one shown keeps the camera.
  void setFigure(const Figure& figure);
  bool hasFigure() const;

  // Back to the figure's elevation/azimuth (also the R and Home keys).
  void resetCamera();

  // The figure shown, turned to the live camera's elevation and azimuth (matplotlib's angles), so
  // an export shows what the user turned to; zoom and pan are fitted to the page again. Throws
  // RenderError when no figure is shown.
  Figure figureAsSeen() const;

  // The shared camera of all panels (a comparison's cameras are linked through it).
  vtkCamera* camera() const;
  vtkGenericOpenGLRenderWindow* renderWindow() const;

 Q_SIGNALS:
  // After the user moved the camera (mouse, wheel or keys).
  void cameraChanged();

 protected:
  void initializeGL() override;
  void resizeGL(int width, int height) override;
  void paintGL() override;

  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  struct State;
  std::unique_ptr<State> m_state;

  class ContextScope;
  // Makes this widget's context current on its own surface; false when it has none (not yet
  // shown, or destroyed), in which case VTK holds no GL resources to free in it.
  bool makeContextCurrent();
  // Frees VTK's GL resources in this widget's context (before Qt destroys it).
  void releaseGraphics();
  void layoutScene(bool resetCamera);
  void forwardMouse(QMouseEvent* event, unsigned long vtkEvent);
  void renderLater();
};

}  // namespace flatland::render
