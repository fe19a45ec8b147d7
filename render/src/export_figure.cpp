#include "flatland/render/export_figure.h"

#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "figure_painters.h"
#include "flatland/errors.h"
#include "gui_application.h"
#include "offscreen_render.h"

namespace flatland::render {
namespace {

void checkOptions(const ExportOptions& options) {
  if (options.width < 16 || options.height < 16 || options.width > 16384 || options.height > 16384)
    throw RenderError("figure size " + std::to_string(options.width) + "x" +
                      std::to_string(options.height) + " px is out of range (16 to 16384)");
  if (!(options.dpi >= 10 && options.dpi <= 2400))
    throw RenderError("DPI " + std::to_string(options.dpi) + " is out of range (10 to 2400)");
}

// Where the painter drew its main plot, in the public form.
PlotFrame frameOf(const PlotPainter& out) {
  const auto& f = out.mainFrame();
  if (!f.drawn) return {};
  PlotFrame frame{f.plot.left(), f.plot.top(), f.plot.width(), f.plot.height(), f.x.lo, f.x.hi,
                  f.y.lo,        f.y.hi,       f.x.log,        f.y.log,         true,   {}};
  for (const auto& row : out.legendRows())
    frame.legend.push_back(
        {row.rect.left(), row.rect.top(), row.rect.width(), row.rect.height(), row.series});
  return frame;
}

QImage paint2D(const Figure& figure, const ExportOptions& options, PlotFrame* frame) {
  QImage image(options.width, options.height, QImage::Format_ARGB32_Premultiplied);
  image.fill(options.transparent ? Qt::transparent : Qt::white);
  QPainter painter(&image);
  PlotPainter out(painter, QRectF(0, 0, options.width, options.height), options.dpi);
  paintFigure(figure, out);
  painter.end();
  if (frame) *frame = frameOf(out);
  return image;
}

double fromFraction(double lo, double hi, bool log, double f) {
  return log ? std::pow(10.0, std::log10(lo) + f * (std::log10(hi) - std::log10(lo)))
             : lo + f * (hi - lo);
}

double toFraction(double lo, double hi, bool log, double v) {
  return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo))
             : (v - lo) / (hi - lo);
}

// Paints into an open vector device; a failure leaves no half-written file behind.
void paintOrRemove(const Figure& figure, QPainter& painter, PlotPainter& out,
                   const std::string& path) {
  try {
    paintFigure(figure, out);
  } catch (...) {
    painter.end();
    QFile::remove(QString::fromStdString(path));
    throw;
  }
  painter.end();
}

void checkWritten(const std::string& path) {
  const QFileInfo info(QString::fromStdString(path));
  if (!info.exists() || info.size() == 0) throw RenderError("could not write " + path);
}

void writePdf(const Figure& figure, const std::string& path, const ExportOptions& options) {
  QPdfWriter writer(QString::fromStdString(path));
  writer.setResolution(int(std::lround(options.dpi)));
  writer.setPageSize(
      QPageSize(QSizeF(options.width / options.dpi * 72.0, options.height / options.dpi * 72.0),
                QPageSize::Point, QString(), QPageSize::ExactMatch));
  writer.setPageMargins(QMarginsF(0, 0, 0, 0));
  writer.setCreator(QStringLiteral("Flatland"));
  writer.setTitle(QString::fromStdString(figureKind(figure)));
  QPainter painter;
  if (!painter.begin(&writer)) throw RenderError("could not open " + path + " for writing");
  const QRectF page(0, 0, writer.width(), writer.height());
  if (!options.transparent) painter.fillRect(page, Qt::white);
  PlotPainter out(painter, page, double(writer.resolution()));
  paintOrRemove(figure, painter, out, path);
  checkWritten(path);
}

void writeSvg(const Figure& figure, const std::string& path, const ExportOptions& options) {
  QSvgGenerator generator;
  generator.setFileName(QString::fromStdString(path));
  generator.setSize(QSize(options.width, options.height));
  generator.setViewBox(QRect(0, 0, options.width, options.height));
  generator.setResolution(int(std::lround(options.dpi)));
  generator.setTitle(QString::fromStdString(figureKind(figure)));
  generator.setDescription(QStringLiteral("Flatland figure"));
  QPainter painter;
  if (!painter.begin(&generator)) throw RenderError("could not open " + path + " for writing");
  const QRectF page(0, 0, options.width, options.height);
  if (!options.transparent) painter.fillRect(page, Qt::white);
  PlotPainter out(painter, page, options.dpi);
  paintOrRemove(figure, painter, out, path);
  checkWritten(path);
}

}  // namespace

bool displayAvailable() {
  const char* display = std::getenv("DISPLAY");
  return display && *display;
}

FileFormat formatFromPath(const std::string& path) {
  std::string extension = QFileInfo(QString::fromStdString(path)).suffix().toLower().toStdString();
  if (extension == "png") return FileFormat::Png;
  if (extension == "pdf") return FileFormat::Pdf;
  if (extension == "svg") return FileFormat::Svg;
  throw RenderError("cannot tell the figure format of '" + path +
                    "': use a .png, .pdf or .svg file name");
}

bool PlotFrame::contains(double px, double py) const {
  return valid && px >= left && px <= left + width && py >= top && py <= top + height;
}
double PlotFrame::xAt(double px) const { return fromFraction(xLo, xHi, xLog, (px - left) / width); }
double PlotFrame::yAt(double py) const {
  return fromFraction(yLo, yHi, yLog, (top + height - py) / height);
}
double PlotFrame::pixelX(double x) const { return left + width * toFraction(xLo, xHi, xLog, x); }
double PlotFrame::pixelY(double y) const {
  return top + height - height * toFraction(yLo, yHi, yLog, y);
}
int PlotFrame::legendSeriesAt(double px, double py) const {
  for (const auto& row : legend)
    if (px >= row.left && px <= row.left + row.width && py >= row.top && py <= row.top + row.height)
      return row.series;
  return -1;
}

void exportFigure(const Figure& figure, const std::string& path, const ExportOptions& options,
                  PlotFrame* frame) {
  if (frame) *frame = {};
  const FileFormat format = formatFromPath(path);
  checkOptions(options);
  ensureGuiApplication();
  switch (format) {
    case FileFormat::Png: {
      QImage image = isThreeDimensional(figure) ? renderFigure3D(figure, options)
                                                : paint2D(figure, options, frame);
      const int dotsPerMeter = int(std::lround(options.dpi / 0.0254));
      image.setDotsPerMeterX(dotsPerMeter);
      image.setDotsPerMeterY(dotsPerMeter);
      if (!image.save(QString::fromStdString(path), "PNG"))
        throw RenderError("could not write " + path);
      break;
    }
    case FileFormat::Pdf:
      writePdf(figure, path, options);
      break;
    case FileFormat::Svg:
      writeSvg(figure, path, options);
      break;
  }
}

}  // namespace flatland::render
