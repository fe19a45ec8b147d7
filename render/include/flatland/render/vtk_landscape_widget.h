// A Qt 6 widget that shows the 3-D views (surface, comparison, volume) with VTK and lets the user
// rotate, pan and zoom. VTK's own Qt module is built for Qt 5 on Debian, so this hosts a
// vtkGenericOpenGLRenderWindow in a QOpenGLWidget the way QVTKOpenGLNativeWidget does.
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

  void layoutScene(bool resetCamera);
  void forwardMouse(QMouseEvent* event, unsigned long vtkEvent);
  void renderLater();
};

}  // namespace flatland::render
