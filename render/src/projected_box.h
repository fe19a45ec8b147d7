// Drawing a 3-D box view with QPainter: projection to the page, matplotlib-like back panes with
// grid lines, axes with ticks, and depth-sorted polygons (painter's algorithm).
#pragma once

#include <QColor>
#include <QPolygonF>
#include <QRectF>
#include <string>
#include <vector>

#include "box_axes.h"
#include "ortho_view.h"
#include "plot_painter.h"

namespace flatland::render {

// Maps world points of a view to device coordinates inside a viewport.
class Projector {
 public:
  Projector(const OrthoView& view, const QRectF& viewport);
  QPointF toDevice(const Vec3& p) const;
  double depth(const Vec3& p) const { return m_view.project(p)[2]; }
  const OrthoView& view() const { return m_view; }

 private:
  OrthoView m_view;
  QPointF m_center;
  double m_scale;  // device units per world unit
};

// The three faces behind the data, light grey with grid lines at the ticks.
void drawBackPanes(PlotPainter& out, const Projector& projector, const BoxAxes& axes);
// Ticks, tick labels and axis labels on the edges chosen by axisEdges().
void drawBoxAxes(PlotPainter& out, const Projector& projector, const BoxAxes& axes);

// Something to paint in depth order: a filled polygon, or a polyline when `filled` is false.
struct Primitive {
  QPolygonF shape;
  QColor fill;
  QColor stroke;
  double strokePt = 0.0;
  double depth = 0.0;
  bool filled = true;
};

// Paints primitives from the farthest to the nearest.
void paintDepthSorted(PlotPainter& out, std::vector<Primitive>& primitives);

// Lambert shading of a colour for a triangle with the given (unnormalised) normal.
QColor shade(const QColor& color, const Vec3& normal, const OrthoView& view);

}  // namespace flatland::render

namespace flatland::render {
// Qt alignment flags of an anchor.
Qt::Alignment qtAlignment(HAnchor h, VAnchor v);
}  // namespace flatland::render
