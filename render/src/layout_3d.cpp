#include "layout_3d.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "flatland/errors.h"
#include "projected_box.h"

namespace flatland::render {
namespace {

BoxAxes surfaceAxes(const SurfaceFigure& figure, const SurfaceMesh& mesh) {
  BoxAxes axes;
  axes.x = {1.0, mesh.xLo, mesh.xHi, linearTicks(mesh.xLo, mesh.xHi, 4), figure.xLabel};
  axes.y = {1.0, mesh.yLo, mesh.yHi, linearTicks(mesh.yLo, mesh.yHi, 4), figure.yLabel};
  axes.z = {kSurfaceBoxHeight, mesh.range.lo, mesh.range.hi,
            linearTicks(mesh.range.lo, mesh.range.hi, 4),
            valueAxisLabel(figure.valueLabel, figure.scale)};
  return axes;
}

BoxAxis gridAxis(const std::vector<double>& values, double length, const std::string& label) {
  return {length, values.front(), values.back(), linearTicks(values.front(), values.back(), 4),
          label};
}

// Splits the page into a title line, `count` panels side by side and a colour bar strip.
void placePanels(Layout3D& layout, const PlotPainter& out) {
  const QRectF page = out.page();
  const double pad = out.pt(4);
  double top = page.top() + pad;
  if (!layout.title.empty())
    top += QFontMetricsF(out.font(out.style().titlePt, true)).height() + out.pt(2);
  const double reserve = out.colorBarReserve(layout.range.lo, layout.range.hi, layout.valueLabel);
  const QRectF panels(QPointF(page.left() + pad, top),
                      QPointF(page.right() - pad - reserve, page.bottom() - pad));
  const double width = panels.width() / double(layout.panels.size());
  const double titleHeight = QFontMetricsF(out.font(out.style().labelPt)).height() + out.pt(2);
  for (std::size_t i = 0; i < layout.panels.size(); ++i) {
    Panel3D& panel = layout.panels[i];
    panel.area = QRectF(panels.left() + width * double(i), panels.top(), width, panels.height());
    panel.titleAnchor = QPointF(panel.area.center().x(), panel.area.top());
    if (!panel.title.empty()) panel.area.setTop(panel.area.top() + titleHeight);
  }
  const double barHeight = panels.height() * 0.62;
  layout.colorBar =
      QRectF(panels.right() + out.pt(8), panels.center().y() - barHeight / 2, out.pt(7), barHeight);
  // A box fitted by height leaves room beside it: pull the colour bar next to the last box (past
  // its tick labels) and centre the whole group on the page.
  const Panel3D& last = layout.panels.back();
  const OrthoView view = panelView(last);
  const Projector projector(view, last.area);
  double boxRight = -1e300;
  const Vec3 size = last.axes.size();
  for (int corner = 0; corner < 8; ++corner)
    boxRight = std::max(boxRight,
                        projector
                            .toDevice({(corner & 1) ? size[0] : 0.0, (corner & 2) ? size[1] : 0.0,
                                       (corner & 4) ? size[2] : 0.0})
                            .x());
  const double wanted = boxRight + out.pt(34);
  if (wanted < layout.colorBar.left()) {
    const double freed = layout.colorBar.left() - wanted;
    layout.colorBar.moveLeft(wanted + freed / 2);
    for (Panel3D& panel : layout.panels) {
      panel.area.translate(freed / 2, 0);
      panel.titleAnchor.rx() += freed / 2;
    }
  }
}

}  // namespace

double isoLossOf(const VolumeFigure& figure) {
  if (std::isfinite(figure.isoValue)) return figure.isoValue;
  std::vector<double> finite;
  for (double v : figure.grid.values)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) return kNoValue;
  std::sort(finite.begin(), finite.end());
  return finite[std::size_t(0.2 * double(finite.size() - 1))];
}

Layout3D layoutFigure3D(const Figure& figure, const PlotPainter& out) {
  Layout3D layout;
  if (const auto* volume = std::get_if<VolumeFigure>(&figure)) {
    volume->grid.validate();
    layout.range = scaledRange(volume->grid.values, volume->scale);
    layout.colorMap = volume->colorMap;
    layout.valueLabel = valueAxisLabel(volume->valueLabel, volume->scale);
    layout.title = volume->title;
    Panel3D panel;
    panel.axes.x = gridAxis(volume->grid.xs, 1.0, volume->xLabel);
    panel.axes.y = gridAxis(volume->grid.ys, 1.0, volume->yLabel);
    panel.axes.z = gridAxis(volume->grid.zs, kVolumeBoxHeight, volume->zLabel);
    // Say which loss the shell encloses; the default is a percentile, unknown to the reader.
    char isoText[64];
    std::snprintf(isoText, sizeof isoText, "iso-surface: %s = %.3g", volume->valueLabel.c_str(),
                  isoLossOf(*volume));
    panel.title = isoText;
    panel.elevation = volume->elevation;
    panel.azimuth = volume->azimuth;
    layout.panels.push_back(panel);
    placePanels(layout, out);
    return layout;
  }
  ComparisonFigure comparison;
  if (const auto* surface = std::get_if<SurfaceFigure>(&figure)) {
    comparison.panels.push_back(*surface);
    comparison.panels.front().title.clear();
    comparison.title = surface->title;
  } else if (const auto* given = std::get_if<ComparisonFigure>(&figure)) {
    comparison = *given;
  } else {
    throw RenderError("the " + figureKind(figure) + " view is not a 3-D view");
  }
  if (comparison.panels.empty()) throw RenderError("a comparison needs at least one surface");
  layout.range = {1e300, -1e300};
  for (const SurfaceFigure& panel : comparison.panels) {
    panel.grid.validate();
    const ValueRange r = scaledRange(panel.grid.values, panel.scale);
    layout.range.lo = std::min(layout.range.lo, r.lo);
    layout.range.hi = std::max(layout.range.hi, r.hi);
  }
  const SurfaceFigure& first = comparison.panels.front();
  layout.colorMap = first.colorMap;
  layout.valueLabel = valueAxisLabel(first.valueLabel, first.scale);
  layout.title = comparison.title;
  for (const SurfaceFigure& surface : comparison.panels) {
    auto built = std::make_shared<const SurfaceMesh>(buildSurfaceMesh(surface, layout.range));
    const SurfaceMesh& mesh = *built;
    Panel3D panel;
    panel.mesh = built;
    panel.title = surface.title;
    panel.axes = surfaceAxes(surface, mesh);
    panel.elevation = surface.elevation;
    panel.azimuth = surface.azimuth;
    if (surface.markMinimum) {
      const Point3& m = mesh.points[std::size_t(mesh.minimumIndex)];
      panel.minimum = Vec3{m[0], m[1], m[2]};
    }
    layout.panels.push_back(panel);
  }
  placePanels(layout, out);
  return layout;
}

bool minimumVisible(const Panel3D& panel, const OrthoView& view) {
  if (!panel.minimum) return false;
  if (!panel.mesh) return true;
  const SurfaceMesh& mesh = *panel.mesh;
  const Vec3& from = *panel.minimum;
  const Vec3& d = view.toViewer;
  // A ray from the minimum towards the (orthographic) viewer against every triangle
  // (Möller–Trumbore); the triangles around the minimum itself touch it at distance 0.
  constexpr double kMinDistance = 1e-3;  // in box units: the box floor is 1 × 1
  for (const auto& t : mesh.triangles) {
    if (t[0] == mesh.minimumIndex || t[1] == mesh.minimumIndex || t[2] == mesh.minimumIndex)
      continue;
    const Point3& a = mesh.points[std::size_t(t[0])];
    const Point3& b = mesh.points[std::size_t(t[1])];
    const Point3& c = mesh.points[std::size_t(t[2])];
    const Vec3 e1{b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const Vec3 e2{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    const Vec3 p{d[1] * e2[2] - d[2] * e2[1], d[2] * e2[0] - d[0] * e2[2],
                 d[0] * e2[1] - d[1] * e2[0]};
    const double det = OrthoView::dot(e1, p);
    if (std::abs(det) < 1e-12) continue;
    const Vec3 s{from[0] - a[0], from[1] - a[1], from[2] - a[2]};
    const double u = OrthoView::dot(s, p) / det;
    if (u < 0.0 || u > 1.0) continue;
    const Vec3 q{s[1] * e1[2] - s[2] * e1[1], s[2] * e1[0] - s[0] * e1[2],
                 s[0] * e1[1] - s[1] * e1[0]};
    const double v = OrthoView::dot(d, q) / det;
    if (v < 0.0 || u + v > 1.0) continue;
    if (OrthoView::dot(e2, q) / det > kMinDistance) return false;
  }
  return true;
}

OrthoView panelView(const Panel3D& panel) {
  return makeOrthoView({0, 0, 0}, panel.axes.size(), panel.elevation, panel.azimuth,
                       panel.area.width() / panel.area.height(), kBoxMargin);
}

void paintDecorations3D(const Layout3D& layout, const std::vector<OrthoView>& views,
                        PlotPainter& out) {
  for (std::size_t i = 0; i < layout.panels.size() && i < views.size(); ++i) {
    const Panel3D& panel = layout.panels[i];
    const Projector projector(views[i], panel.area);
    if (panel.minimum && minimumVisible(panel, views[i])) {
      Vec3 at = *panel.minimum;
      at[2] += 0.01;
      out.drawStar(projector.toDevice(at), out.pt(4.0), Qt::white);
    }
    drawBoxAxes(out, projector, panel.axes);
    if (!panel.title.empty()) {
      out.painter().setPen(Qt::black);
      out.drawText(panel.titleAnchor, panel.title, out.font(out.style().labelPt),
                   Qt::AlignHCenter | Qt::AlignTop);
    }
  }
  out.painter().setPen(Qt::black);
  out.drawTitle(layout.title);
  out.drawColorBar(layout.colorBar, ColorMap(layout.colorMap), layout.range.lo, layout.range.hi,
                   layout.valueLabel);
}

}  // namespace flatland::render
