#include "offscreen_render.h"

#include <vtkCamera.h>
#include <vtkImageData.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkRenderWindow.h>
#include <vtkUnsignedCharArray.h>
#include <vtkWindowToImageFilter.h>

#include <QPainter>
#include <cstring>

#include "flatland/errors.h"
#include "layout_3d.h"
#include "vtk_scene.h"

namespace flatland::render {
namespace {

// The window's pixels as a QImage (VTK's rows run bottom-up).
QImage grab(vtkRenderWindow* window, bool alpha) {
  vtkNew<vtkWindowToImageFilter> filter;
  filter->SetInput(window);
  if (alpha)
    filter->SetInputBufferTypeToRGBA();
  else
    filter->SetInputBufferTypeToRGB();
  filter->ReadFrontBufferOff();
  filter->Update();
  vtkImageData* data = filter->GetOutput();
  int dims[3];
  data->GetDimensions(dims);
  const int components = data->GetNumberOfScalarComponents();
  const auto* pixels = static_cast<const unsigned char*>(data->GetScalarPointer());
  QImage image(dims[0], dims[1], alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
  for (int y = 0; y < dims[1]; ++y)
    std::memcpy(image.scanLine(dims[1] - 1 - y), pixels + std::size_t(y) * dims[0] * components,
                std::size_t(dims[0]) * components);
  return image.convertToFormat(QImage::Format_ARGB32_Premultiplied);
}

}  // namespace

QImage renderFigure3D(const Figure& figure, const ExportOptions& options) {
  if (!displayAvailable())
    throw RenderError(
        "3-D views need an X display to render (Debian's VTK has no EGL/OSMesa); "
        "run under xvfb-run, or export to PDF/SVG");
  // Rendered at twice the size and scaled down: anti-aliasing that works in every offscreen
  // context (multisampled offscreen buffers are not always available).
  const int factor = (options.width * 2 <= 8192 && options.height * 2 <= 8192) ? 2 : 1;
  const int width = options.width * factor, height = options.height * factor;
  const double dpi = options.dpi * factor;

  QImage page(width, height, QImage::Format_ARGB32_Premultiplied);
  page.fill(options.transparent ? Qt::transparent : Qt::white);
  QPainter painter(&page);
  PlotPainter out(painter, QRectF(0, 0, width, height), dpi);
  const Layout3D layout = layoutFigure3D(figure, out);

  Scene scene = buildScene(figure, options.transparent, dpi / 72.0);
  vtkNew<vtkRenderWindow> window;
  window->SetOffScreenRendering(1);
  window->SetSize(width, height);
  window->SetDPI(int(dpi));
  if (options.transparent) window->SetAlphaBitPlanes(1);
  attachScene(scene, window);
  std::vector<QRectF> areas;
  for (const Panel3D& panel : layout.panels) areas.push_back(panel.area);
  placeScene(scene, figure, areas, QSize(width, height), true);
  window->Render();
  const QImage rendered = grab(window, options.transparent);
  if (rendered.width() != width || rendered.height() != height)
    throw RenderError("the offscreen render window gave a " + std::to_string(rendered.width()) +
                      "x" + std::to_string(rendered.height()) + " image instead of " +
                      std::to_string(width) + "x" + std::to_string(height));
  painter.setCompositionMode(QPainter::CompositionMode_Source);
  painter.drawImage(0, 0, rendered);
  painter.setCompositionMode(QPainter::CompositionMode_SourceOver);

  std::vector<OrthoView> views(layout.panels.size(), viewOfCamera(scene.camera));
  paintDecorations3D(layout, views, out);
  painter.end();
  window->Finalize();

  QImage result = factor == 1 ? page
                              : page.scaled(options.width, options.height, Qt::IgnoreAspectRatio,
                                            Qt::SmoothTransformation);
  return result;
}

}  // namespace flatland::render
