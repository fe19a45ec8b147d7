// The flat contour map of a loss grid: filled bands between nice levels, contour lines, the
// minimum and the optimizer's trajectory, with a colour bar. All polygons, so PDF/SVG stay vector.
#include <QPainterPath>
#include <algorithm>
#include <cmath>

#include "flatland/errors.h"

#include "contour_geometry.h"
#include "figure_painters.h"
#include "surface_mesh.h"

namespace flatland::render {
namespace {

// Levels at nice values inside the range, plus the range ends, so bands tile it exactly.
std::vector<double> bandEdges(const ValueRange& range, int levels) {
  std::vector<double> edges{range.lo};
  for (const Tick& t : linearTicks(range.lo, range.hi, std::max(levels, 2)))
    if (t.value > range.lo + 1e-12 && t.value < range.hi - 1e-12) edges.push_back(t.value);
  edges.push_back(range.hi);
  return edges;
}

// The picture as one filled square per pixel (vector in PDF/SVG, sharp at any DPI), its caption
// centred below.
void paintImage(const SampleImage& image, const QRectF& box, PlotPainter& out) {
  QPainter& p = out.painter();
  const double cell =
      std::min(box.width() / double(image.width), box.height() / double(image.height));
  const QPointF origin(box.left(), box.top());
  p.save();
  p.setRenderHint(QPainter::Antialiasing, false);
  p.setPen(Qt::NoPen);
  const auto level = [](double v) { return int(std::lround(255.0 * std::clamp(v, 0.0, 1.0))); };
  for (int64_t row = 0; row < image.height; ++row)
    for (int64_t column = 0; column < image.width; ++column) {
      const std::size_t at = std::size_t((row * image.width + column) * image.channels);
      const QColor color =
          image.channels == 3
              ? QColor(level(image.pixels[at]), level(image.pixels[at + 1]),
                       level(image.pixels[at + 2]))
              : QColor(level(image.pixels[at]), level(image.pixels[at]), level(image.pixels[at]));
      // Each square overlaps its right and lower neighbours by a hairline: no seams.
      p.fillRect(QRectF(origin.x() + double(column) * cell, origin.y() + double(row) * cell,
                        cell + 0.5, cell + 0.5),
                 color);
    }
  p.setRenderHint(QPainter::Antialiasing, true);
  p.setPen(out.pen(QColor(0, 0, 0), out.style().axisPt));
  p.setBrush(Qt::NoBrush);
  p.drawRect(QRectF(origin, QSizeF(cell * double(image.width), cell * double(image.height))));
  p.restore();
  if (!image.caption.empty())
    out.drawText(QPointF(origin.x() + 0.5 * cell * double(image.width),
                         origin.y() + cell * double(image.height) + out.pt(3)),
                 image.caption, out.font(out.style().legendPt), Qt::AlignHCenter | Qt::AlignTop);
}

}  // namespace

void paintContourMap(const ContourMapFigure& contour, PlotPainter& out) {
  const SurfaceFigure& figure = contour.surface;
  const SurfaceMesh mesh = buildSurfaceMesh(figure);
  const SurfaceGrid& grid = figure.grid;
  const ColorMap map(figure.colorMap);
  const std::string valueLabel = valueAxisLabel(figure.valueLabel, figure.scale);

  Axis x = linearAxis(mesh.xLo, mesh.xHi, figure.xLabel, 0.0);
  Axis y = linearAxis(mesh.yLo, mesh.yHi, figure.yLabel, 0.0);
  double reserve = out.colorBarReserve(mesh.range.lo, mesh.range.hi, valueLabel);
  // The picture's side: a quarter of the page's width, at most half its height.
  double imageSide = 0.0;
  if (contour.image) {
    contour.image->validate();
    imageSide = std::min(0.25 * out.page().width(), 0.5 * out.page().height());
    reserve += imageSide + out.pt(10);
  }
  const QRectF plot = out.plotRect(figure.title, x, y, reserve);
  QPainter& p = out.painter();
  // Points that were not computed show as light grey, not as a colour of the map.
  p.fillRect(plot, QColor(225, 225, 225));

  const auto vertex = [&](int index) {
    const std::size_t ix = std::size_t(index) % grid.nx(), iy = std::size_t(index) / grid.nx();
    return ScalarVertex{out.mapX(plot, x, grid.xs[ix]), out.mapY(plot, y, grid.ys[iy]), 0.0,
                        mesh.scalars[std::size_t(index)]};
  };
  const std::vector<double> edges = bandEdges(mesh.range, figure.contourLevels);
  p.save();
  p.setClipRect(plot);
  // Anti-aliased neighbours leave faint seams in raster output; the contour lines drawn on top
  // (anti-aliased) hide the band edges instead. Vector viewers rasterise on their own.
  p.setRenderHint(QPainter::Antialiasing, false);
  for (const auto& t : mesh.triangles) {
    const std::array<ScalarVertex, 3> tri{vertex(t[0]), vertex(t[1]), vertex(t[2])};
    const double lo = std::min({tri[0].s, tri[1].s, tri[2].s});
    const double hi = std::max({tri[0].s, tri[1].s, tri[2].s});
    for (std::size_t b = 0; b + 1 < edges.size(); ++b) {
      if (edges[b + 1] < lo || edges[b] > hi) continue;
      const auto polygon = bandPolygon(tri, edges[b], edges[b + 1]);
      if (polygon.empty()) continue;
      const double middle = 0.5 * (edges[b] + edges[b + 1]);
      const QColor color =
          toQColor(map.at((middle - mesh.range.lo) / (mesh.range.hi - mesh.range.lo)));
      QPolygonF shape;
      for (const auto& v : polygon) shape << QPointF(v.x, v.y);
      // A hairline of the fill colour closes the anti-aliasing seams between neighbours.
      p.setPen(QPen(color, out.pt(0.35)));
      p.setBrush(color);
      p.drawPolygon(shape);
    }
  }
  p.setRenderHint(QPainter::Antialiasing, true);
  // Contour lines at the inner band edges.
  p.setPen(out.pen(QColor(0, 0, 0, 120), 0.45));
  for (std::size_t b = 1; b + 1 < edges.size(); ++b)
    for (const auto& t : mesh.triangles) {
      Segment segment;
      if (levelSegment({vertex(t[0]), vertex(t[1]), vertex(t[2])}, edges[b], segment))
        p.drawLine(QPointF(segment[0].x, segment[0].y), QPointF(segment[1].x, segment[1].y));
    }

  std::vector<LegendEntry> legend;
  std::vector<QPointF> marks;  // trajectory and minimum, which the legend must not hide
  if (figure.trajectory && !figure.trajectory->xs.empty()) {
    const Trajectory& path = *figure.trajectory;
    QPainterPath line;
    for (std::size_t i = 0; i < path.xs.size() && i < path.ys.size(); ++i) {
      const QPointF point(out.mapX(plot, x, path.xs[i]), out.mapY(plot, y, path.ys[i]));
      if (i == 0)
        line.moveTo(point);
      else
        line.lineTo(point);
      if (!marks.empty())
        for (int k = 1; k < 6; ++k)
          marks.push_back(marks.back() + (point - marks.back()) * (k / 6.0));
      marks.push_back(point);
    }
    // A white halo keeps the red path readable over any colour of the map.
    p.setBrush(Qt::NoBrush);
    p.setPen(out.pen(Qt::white, 2.4));
    p.drawPath(line);
    const QColor red(200, 30, 30);
    p.setPen(out.pen(red, 1.1));
    p.drawPath(line);
    p.setPen(out.pen(Qt::white, 0.4));
    p.setBrush(red);
    for (std::size_t i = 0; i < path.xs.size() && i < path.ys.size(); ++i)
      p.drawEllipse(QPointF(out.mapX(plot, x, path.xs[i]), out.mapY(plot, y, path.ys[i])),
                    out.pt(1.6), out.pt(1.6));
    // The first checkpoint, hollow and larger, says where training started.
    p.setPen(out.pen(red, 1.0));
    p.setBrush(Qt::white);
    p.drawEllipse(QPointF(out.mapX(plot, x, path.xs[0]), out.mapY(plot, y, path.ys[0])),
                  out.pt(2.6), out.pt(2.6));
    legend.push_back({"trajectory", red, false, true});
  }
  if (figure.markMinimum) {
    const std::size_t index = std::size_t(mesh.minimumIndex);
    const QPointF at(out.mapX(plot, x, grid.xs[index % grid.nx()]),
                     out.mapY(plot, y, grid.ys[index / grid.nx()]));
    out.drawStar(at, out.pt(4.0), Qt::white);
    marks.push_back(at);
    legend.push_back({"minimum", Qt::white, false, false, LegendEntry::Symbol::Star});
  }
  p.restore();

  out.drawTitle(figure.title);
  out.drawAxes(plot, x, y, false);
  const QRectF bar(plot.right() + out.pt(8), plot.top(), out.pt(7), plot.height());
  out.drawColorBar(bar, map, mesh.range.lo, mesh.range.hi, valueLabel);
  if (!legend.empty()) out.drawLegendAvoiding(plot, legend, marks);
  if (contour.image) {
    const SampleImage& image = *contour.image;
    const double aspect = double(image.height) / double(image.width);
    const double width = aspect > 1.0 ? imageSide / aspect : imageSide;
    const QRectF box(out.page().right() - out.pt(4) - imageSide, plot.top(), width, width * aspect);
    paintImage(image, box, out);
  }
}

void paintContourComparison(const ComparisonFigure& figure, PlotPainter& out) {
  if (figure.panels.empty()) throw RenderError("a comparison needs at least one surface");
  // One loss range for all panels (the smallest to the largest loss of them all), so one colour
  // means one loss in every panel.
  double lo = INFINITY, hi = -INFINITY;
  for (const SurfaceFigure& panel : figure.panels)
    for (double v : panel.grid.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  paintPanelGrid(figure.title, figure.panels.size(), out, [&](std::size_t i, PlotPainter& part) {
    ContourMapFigure panel{figure.panels[i]};
    if (!panel.surface.scale.fixed() && hi > lo) {
      panel.surface.scale.fixedLo = lo;
      panel.surface.scale.fixedHi = hi;
    }
    paintContourMap(panel, part);
  });
}

}  // namespace flatland::render
