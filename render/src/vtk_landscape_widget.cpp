#include "flatland/render/vtk_landscape_widget.h"

#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkNew.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QPainter>
#include <QSurfaceFormat>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <optional>

#include "flatland/errors.h"
#include "layout_3d.h"
#include "vtk_scene.h"

namespace flatland::render {

struct VtkLandscapeWidget::State {
  vtkNew<vtkGenericOpenGLRenderWindow> window;
  vtkNew<vtkGenericRenderWindowInteractor> interactor;
  vtkNew<vtkInteractorStyleTrackballCamera> style;
  std::optional<Figure> figure;
  Scene scene;
  std::vector<unsigned long> observers;
  // The surface Qt made the context current on for initializeGL (the widget's offscreen
  // surface). QOpenGLContext::surface() is null after doneCurrent(), so it cannot be asked later.
  QSurface* surface = nullptr;
  QMetaObject::Connection contextGone;
  bool initialized = false;
  bool needsRender = true;  // render in the next paintGL (else only blit the last frame)
  bool inPaint = false;
};

namespace {

// Screen DPI the paper style's points are converted with (logical pixels).
constexpr double kScreenDpi = 96.0;

}  // namespace

VtkLandscapeWidget::VtkLandscapeWidget(QWidget* parent)
    : QOpenGLWidget(parent), m_state(std::make_unique<State>()) {
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(false);
  m_state->interactor->SetRenderWindow(m_state->window);
  m_state->interactor->SetInteractorStyle(m_state->style);
  // The interactor must not run its own event loop or timers: Qt drives it.
  m_state->interactor->EnableRenderOff();
  m_state->window->SetReadyForRendering(false);
  setMinimumSize(160, 120);
}

// Holds this widget's context current for VTK calls that may free GL objects.
class VtkLandscapeWidget::ContextScope {
 public:
  explicit ContextScope(VtkLandscapeWidget& widget) : m_current(widget.makeContextCurrent()) {}
  bool current() const { return m_current; }

 private:
  bool m_current;
};

bool VtkLandscapeWidget::makeContextCurrent() {
  QOpenGLContext* ctx = context();
  if (!m_state->initialized || !m_state->surface || !ctx || !ctx->isValid()) return false;
  if (QOpenGLContext::currentContext() != ctx && !ctx->makeCurrent(m_state->surface)) return false;
  return QOpenGLContext::currentContext() == ctx;
}

void VtkLandscapeWidget::releaseGraphics() {
  State& s = *m_state;
  if (!s.initialized) return;
  // Only in our own context: in another one the same object names belong to another widget.
  if (makeContextCurrent()) s.window->ReleaseGraphicsResources(s.window);
  for (unsigned long id : s.observers) s.window->RemoveObserver(id);
  s.observers.clear();
  s.window->SetReadyForRendering(false);
  s.initialized = false;
  s.surface = nullptr;
  s.needsRender = true;
}

VtkLandscapeWidget::~VtkLandscapeWidget() {
  QObject::disconnect(m_state->contextGone);
  const bool hadContext = m_state->initialized;
  const bool current = makeContextCurrent();
  releaseGraphics();
  // The scene's and the window's VTK objects die here; with GL objects alive they must die in
  // our context. Without one (never shown) there is nothing on the GPU to free.
  if (current || !hadContext) {
    m_state.reset();
    if (current) context()->doneCurrent();
  } else {
    // The context is gone with GL objects never freed: leak them rather than free names that may
    // now belong to another widget's context.
    (void)m_state.release();
  }
}

void VtkLandscapeWidget::setDefaultSurfaceFormat() {
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
  format.setRedBufferSize(8);
  format.setGreenBufferSize(8);
  format.setBlueBufferSize(8);
  format.setAlphaBufferSize(8);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(8);
  QSurfaceFormat::setDefaultFormat(format);
}

vtkCamera* VtkLandscapeWidget::camera() const { return m_state->scene.camera; }

vtkGenericOpenGLRenderWindow* VtkLandscapeWidget::renderWindow() const { return m_state->window; }

bool VtkLandscapeWidget::hasFigure() const { return m_state->figure.has_value(); }

void VtkLandscapeWidget::setFigure(const Figure& figure) {
  if (!isThreeDimensional(figure))
    throw RenderError("the " + figureKind(figure) + " view is 2-D: export it or paint it instead");
  // Lines keep their thickness in points on high-DPI screens.
  Scene scene = buildScene(figure, false, kScreenDpi * devicePixelRatioF() / 72.0);
  // New data for the same kind of view (a surface that grows while its job runs, a redraw) keeps
  // the user's camera; only a different kind of view starts from the figure's own angles.
  const bool keepCamera = m_state->figure && m_state->figure->index() == figure.index() &&
                          m_state->scene.renderers.size() == scene.renderers.size();
  if (keepCamera) {
    scene.camera->DeepCopy(m_state->scene.camera);
    scene.fittedHalfHeight = m_state->scene.fittedHalfHeight;
  }
  m_state->figure = figure;
  {
    // Removing the old renderers frees their GL objects: in our context (or none exist yet).
    ContextScope scope(*this);
    if (m_state->initialized && !scope.current()) m_state->needsRender = true;
    Scene old = std::move(m_state->scene);
    m_state->scene = std::move(scene);
    attachScene(m_state->scene, m_state->window);
    old = Scene{};
  }
  layoutScene(!keepCamera);
  renderLater();
}

Figure VtkLandscapeWidget::figureAsSeen() const {
  if (!m_state->figure) throw RenderError("no figure is shown");
  Figure seen = *m_state->figure;
  double dop[3];
  m_state->scene.camera->GetDirectionOfProjection(dop);
  // The viewer looks along dop: it sits towards -dop, at (cos e cos a, cos e sin a, sin e).
  const double elevation = std::asin(std::clamp(-dop[2], -1.0, 1.0)) * 180.0 / M_PI;
  const double azimuth = std::atan2(-dop[1], -dop[0]) * 180.0 / M_PI;
  const auto turn = [&](auto& figure) {
    figure.elevation = elevation;
    figure.azimuth = azimuth;
  };
  if (auto* surface = std::get_if<SurfaceFigure>(&seen)) turn(*surface);
  if (auto* comparison = std::get_if<ComparisonFigure>(&seen))
    for (SurfaceFigure& panel : comparison->panels) turn(panel);
  if (auto* volume = std::get_if<VolumeFigure>(&seen)) turn(*volume);
  return seen;
}

void VtkLandscapeWidget::resetCamera() {
  if (!m_state->figure) return;
  layoutScene(true);
  renderLater();
  Q_EMIT cameraChanged();
}

// Renderer viewports follow the same page layout as the exported figures.
void VtkLandscapeWidget::layoutScene(bool resetCamera) {
  if (!m_state->figure || width() <= 0 || height() <= 0) return;
  QImage scratch(8, 8, QImage::Format_ARGB32_Premultiplied);
  QPainter painter(&scratch);
  const PlotPainter measure(painter, QRectF(rect()), kScreenDpi);
  const Layout3D layout = layoutFigure3D(*m_state->figure, measure);
  painter.end();
  std::vector<QRectF> areas;
  for (const Panel3D& panel : layout.panels) areas.push_back(panel.area);
  placeScene(m_state->scene, *m_state->figure, areas, size(), resetCamera);
}

void VtkLandscapeWidget::renderLater() {
  m_state->needsRender = true;
  update();
}

void VtkLandscapeWidget::initializeGL() {
  State& s = *m_state;
  auto* window = s.window.Get();
  // Called again with a new context when the widget moves to another top-level window.
  releaseGraphics();
  s.surface = context()->surface();
  QObject::disconnect(s.contextGone);
  s.contextGone = connect(
      context(), &QOpenGLContext::aboutToBeDestroyed, this, [this] { releaseGraphics(); },
      Qt::DirectConnection);
  // VTK asks through these events to make its context current, whether it is current, and to
  // show a finished frame. Making current calls the raw QOpenGLContext: QOpenGLWidget's
  // makeCurrent() would rebind Qt's framebuffer behind VTK's cached state (a black frame).
  const auto observe = [&](unsigned long event, auto handler) {
    auto command = vtkSmartPointer<vtkCallbackCommand>::New();
    command->SetClientData(this);
    command->SetCallback(handler);
    s.observers.push_back(window->AddObserver(event, command));
  };
  observe(vtkCommand::WindowMakeCurrentEvent, [](vtkObject*, unsigned long, void* self, void*) {
    static_cast<VtkLandscapeWidget*>(self)->makeContextCurrent();
  });
  observe(vtkCommand::WindowIsCurrentEvent, [](vtkObject*, unsigned long, void* self, void* data) {
    auto* widget = static_cast<VtkLandscapeWidget*>(self);
    *static_cast<bool*>(data) =
        widget->context() && QOpenGLContext::currentContext() == widget->context();
  });
  observe(vtkCommand::WindowFrameEvent, [](vtkObject*, unsigned long, void* self, void*) {
    // A render finished outside paintGL (an interaction): show it.
    auto* widget = static_cast<VtkLandscapeWidget*>(self);
    if (!widget->m_state->inPaint) widget->update();
  });

  window->SetForceMaximumHardwareLineWidth(1);
  window->SetReadyForRendering(true);
  window->SetOwnContext(false);
  window->OpenGLInitContext();
  // Qt leaves GL_LESS; VTK expects GL_LEQUAL.
  window->GetState()->Reset();
  window->GetState()->vtkglDepthFunc(GL_LEQUAL);
  s.initialized = true;
  m_state->interactor->Initialize();
  resizeGL(width(), height());
}

void VtkLandscapeWidget::resizeGL(int w, int h) {
  const double ratio = devicePixelRatioF();
  const int deviceWidth = int(w * ratio), deviceHeight = int(h * ratio);
  m_state->interactor->UpdateSize(deviceWidth, deviceHeight);
  m_state->window->SetSize(deviceWidth, deviceHeight);
  // Lines (trajectory, contours) keep their thickness on high-DPI screens.
  m_state->window->SetDPI(int(kScreenDpi * ratio));
  layoutScene(false);
  m_state->needsRender = true;
}

void VtkLandscapeWidget::paintGL() {
  State& s = *m_state;
  QOpenGLExtraFunctions* f = context()->extraFunctions();
  if (!s.figure) {
    f->glClearColor(1.0f, 1.0f, 1.0f, 1.0f);
    f->glClear(GL_COLOR_BUFFER_BIT);
    return;
  }
  s.inPaint = true;
  if (s.needsRender) s.window->Render();
  s.needsRender = false;
  s.inPaint = false;

  // VTK drew into its own framebuffer; copy it into the widget's.
  makeCurrent();
  const QSize deviceSize = size() * devicePixelRatioF();
  f->glBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
  const GLenum buffers[1] = {GL_COLOR_ATTACHMENT0};
  f->glDrawBuffers(1, buffers);
  s.window->GetState()->vtkglDisable(GL_SCISSOR_TEST);
  f->glDisable(GL_SCISSOR_TEST);
  int* source = s.window->GetRenderFramebuffer()->GetLastSize();
  s.window->BlitDisplayFramebuffer(0, 0, 0, source[0], source[1], 0, 0, deviceSize.width(),
                                   deviceSize.height(), GL_COLOR_BUFFER_BIT, GL_LINEAR);
  // VTK leaves alpha below 1 where it blended (contour lines, translucent iso-surfaces); Qt would
  // compose those pixels with what lies behind the widget. Make the frame opaque, as
  // QVTKOpenGLNativeWidget does.
  f->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
  f->glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
  f->glViewport(0, 0, deviceSize.width(), deviceSize.height());
  f->glClear(GL_COLOR_BUFFER_BIT);
  f->glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);

  // Titles, axes and the colour bar over the 3-D content: the same painter code as in files,
  // seen through the live camera.
  QPainter painter(this);
  PlotPainter out(painter, QRectF(rect()), kScreenDpi);
  const Layout3D layout = layoutFigure3D(*s.figure, out);
  std::vector<OrthoView> views(layout.panels.size(), viewOfCamera(s.scene.camera));
  paintDecorations3D(layout, views, out);
  painter.end();
  // QPainter changed GL state behind VTK's back.
  s.window->GetState()->Reset();
}

void VtkLandscapeWidget::forwardMouse(QMouseEvent* event, unsigned long vtkEvent) {
  if (!m_state->figure) return;
  const double ratio = devicePixelRatioF();
  const QPointF p = event->position();
  auto* interactor = m_state->interactor.Get();
  interactor->SetEventInformationFlipY(int(p.x() * ratio), int(p.y() * ratio),
                                       (event->modifiers() & Qt::ControlModifier) ? 1 : 0,
                                       (event->modifiers() & Qt::ShiftModifier) ? 1 : 0);
  interactor->SetAltKey((event->modifiers() & Qt::AltModifier) ? 1 : 0);
  interactor->InvokeEvent(vtkEvent, nullptr);
}

void VtkLandscapeWidget::mousePressEvent(QMouseEvent* event) {
  switch (event->button()) {
    case Qt::LeftButton:
      forwardMouse(event, vtkCommand::LeftButtonPressEvent);
      break;
    case Qt::MiddleButton:
      forwardMouse(event, vtkCommand::MiddleButtonPressEvent);
      break;
    case Qt::RightButton:
      forwardMouse(event, vtkCommand::RightButtonPressEvent);
      break;
    default:
      break;
  }
}

void VtkLandscapeWidget::mouseReleaseEvent(QMouseEvent* event) {
  switch (event->button()) {
    case Qt::LeftButton:
      forwardMouse(event, vtkCommand::LeftButtonReleaseEvent);
      break;
    case Qt::MiddleButton:
      forwardMouse(event, vtkCommand::MiddleButtonReleaseEvent);
      break;
    case Qt::RightButton:
      forwardMouse(event, vtkCommand::RightButtonReleaseEvent);
      break;
    default:
      break;
  }
  Q_EMIT cameraChanged();
}

void VtkLandscapeWidget::mouseMoveEvent(QMouseEvent* event) {
  forwardMouse(event, vtkCommand::MouseMoveEvent);
  renderLater();
}

void VtkLandscapeWidget::wheelEvent(QWheelEvent* event) {
  if (!m_state->figure) return;
  const double ratio = devicePixelRatioF();
  const QPointF p = event->position();
  m_state->interactor->SetEventInformationFlipY(int(p.x() * ratio), int(p.y() * ratio));
  const int delta = event->angleDelta().y();
  if (delta > 0) m_state->interactor->InvokeEvent(vtkCommand::MouseWheelForwardEvent, nullptr);
  if (delta < 0) m_state->interactor->InvokeEvent(vtkCommand::MouseWheelBackwardEvent, nullptr);
  renderLater();
  Q_EMIT cameraChanged();
}

void VtkLandscapeWidget::keyPressEvent(QKeyEvent* event) {
  vtkCamera* cam = camera();
  if (!m_state->figure || !cam) return QOpenGLWidget::keyPressEvent(event);
  // Our own shortcuts; VTK's key handling is not forwarded (its 'e'/'q' would quit the app).
  switch (event->key()) {
    case Qt::Key_R:
    case Qt::Key_Home:
      resetCamera();
      return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
      cam->Zoom(1.15);
      break;
    case Qt::Key_Minus:
      cam->Zoom(1.0 / 1.15);
      break;
    case Qt::Key_Left:
      cam->Azimuth(-5.0);
      break;
    case Qt::Key_Right:
      cam->Azimuth(5.0);
      break;
    case Qt::Key_Up:
      cam->Elevation(5.0);
      cam->OrthogonalizeViewUp();
      break;
    case Qt::Key_Down:
      cam->Elevation(-5.0);
      cam->OrthogonalizeViewUp();
      break;
    default:
      return QOpenGLWidget::keyPressEvent(event);
  }
  renderLater();
  Q_EMIT cameraChanged();
}

}  // namespace flatland::render
