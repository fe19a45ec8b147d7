#include "projected_box.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>

namespace flatland::render {

Projector::Projector(const OrthoView& view, const QRectF& viewport)
    : m_view(view), m_center(viewport.center()), m_scale(viewport.height() / 2 / view.halfHeight) {}

QPointF Projector::toDevice(const Vec3& p) const {
  const auto s = m_view.project(p);
  return {m_center.x() + s[0] * m_scale, m_center.y() - s[1] * m_scale};
}

namespace {

Vec3 point(int axis, double along, int axisA, double a, int axisB, double b) {
  Vec3 p{};
  p[axis] = along;
  p[axisA] = a;
  p[axisB] = b;
  return p;
}

}  // namespace

Qt::Alignment qtAlignment(HAnchor h, VAnchor v) {
  Qt::Alignment align = h == HAnchor::Left    ? Qt::AlignLeft
                        : h == HAnchor::Right ? Qt::AlignRight
                                              : Qt::AlignHCenter;
  align |= v == VAnchor::Top      ? Qt::AlignTop
           : v == VAnchor::Bottom ? Qt::AlignBottom
                                  : Qt::AlignVCenter;
  return align;
}

void drawBackPanes(PlotPainter& out, const Projector& projector, const BoxAxes& axes) {
  QPainter& p = out.painter();
  const Vec3 size = axes.size();
  const OrthoView& view = projector.view();
  const BoxAxis* boxAxes[3] = {&axes.x, &axes.y, &axes.z};
  // One pane per axis, at the back side of that axis (the floor is the back side of z when the
  // view looks down on it).
  for (int normal = 0; normal < 3; ++normal) {
    const double at = backSides(axes, view)[normal];
    const int a = (normal + 1) % 3, b = (normal + 2) % 3;
    QPolygonF pane;
    pane << projector.toDevice(point(normal, at, a, 0, b, 0))
         << projector.toDevice(point(normal, at, a, size[a], b, 0))
         << projector.toDevice(point(normal, at, a, size[a], b, size[b]))
         << projector.toDevice(point(normal, at, a, 0, b, size[b]));
    p.setPen(out.pen(QColor(200, 200, 200), 0.4));
    p.setBrush(QColor(242, 242, 242));
    p.drawPolygon(pane);
    p.setPen(out.pen(QColor(215, 215, 215), 0.4));
    for (int along : {a, b}) {
      const int other = along == a ? b : a;
      for (const Tick& t : boxAxes[along]->ticks) {
        const double w = boxAxes[along]->toWorld(t.value);
        p.drawLine(projector.toDevice(point(normal, at, along, w, other, 0)),
                   projector.toDevice(point(normal, at, along, w, other, size[other])));
      }
    }
  }
}

void drawBoxAxes(PlotPainter& out, const Projector& projector, const BoxAxes& axes) {
  QPainter& p = out.painter();
  const QFont tickFont = out.font(out.style().tickPt);
  const QFont labelFont = out.font(out.style().labelPt);
  const QFontMetricsF tickMetrics(tickFont);
  const double tick = out.pt(out.style().tickLengthPt);
  for (const AxisEdge& edge : axisEdges(axes, projector.view())) {
    const BoxAxis& axis = axes[edge.dimension];
    const QPointF a = projector.toDevice(edge.start), b = projector.toDevice(edge.end);
    const QPointF outward(edge.outX, -edge.outY);  // the page's y grows downwards
    p.setPen(out.pen(Qt::black, out.style().axisPt));
    p.drawLine(a, b);
    double widest = 0.0;
    for (const Tick& t : axis.ticks) {
      Vec3 at = edge.start;
      at[edge.dimension] = axis.toWorld(t.value);
      const QPointF q = projector.toDevice(at);
      p.setPen(out.pen(Qt::black, out.style().axisPt));
      p.drawLine(q, q + outward * tick);
      p.setPen(Qt::black);
      out.drawText(q + outward * (tick + out.pt(2)), t.label, tickFont,
                   qtAlignment(edge.tickH, edge.tickV));
      widest = std::max(widest, out.tickLabelWidth(t, false));
    }
    if (axis.label.empty()) continue;
    // Beyond the tick labels, at the middle of the edge.
    const double reach =
        tick + out.pt(5) + (std::abs(edge.outX) > 0.35 ? widest : tickMetrics.height());
    const QPointF anchor = (a + b) / 2 + outward * reach;
    p.setPen(Qt::black);
    if (edge.dimension == 2)
      out.drawText(anchor, axis.label, labelFont, Qt::AlignHCenter | Qt::AlignBottom, true);
    else
      out.drawText(anchor, axis.label, labelFont, qtAlignment(edge.labelH, edge.labelV));
  }
}

void paintDepthSorted(PlotPainter& out, std::vector<Primitive>& primitives) {
  std::stable_sort(primitives.begin(), primitives.end(),
                   [](const Primitive& a, const Primitive& b) { return a.depth < b.depth; });
  QPainter& p = out.painter();
  for (const Primitive& primitive : primitives) {
    if (primitive.filled) {
      p.setBrush(primitive.fill);
      p.setPen(primitive.strokePt > 0 ? QPen(primitive.stroke, out.pt(primitive.strokePt))
                                      : QPen(Qt::NoPen));
      p.drawPolygon(primitive.shape);
    } else {
      p.setBrush(Qt::NoBrush);
      QPen pen = out.pen(primitive.stroke, primitive.strokePt);
      pen.setCapStyle(Qt::RoundCap);
      p.setPen(pen);
      p.drawPolyline(primitive.shape);
    }
  }
}

QColor shade(const QColor& color, const Vec3& normal, const OrthoView& view) {
  const double n = std::sqrt(OrthoView::dot(normal, normal));
  if (!(n > 0)) return color;
  // Light from above the viewer's left shoulder, as in matplotlib's LightSource defaults.
  Vec3 light{view.toViewer[0] + 0.6 * view.up[0] - 0.4 * view.right[0],
             view.toViewer[1] + 0.6 * view.up[1] - 0.4 * view.right[1],
             view.toViewer[2] + 0.6 * view.up[2] - 0.4 * view.right[2]};
  const double ln = std::sqrt(OrthoView::dot(light, light));
  const double lambert = std::abs(OrthoView::dot(normal, light)) / (n * ln);
  const double factor = 0.62 + 0.38 * lambert;
  return QColor::fromRgbF(float(color.redF() * factor), float(color.greenF() * factor),
                          float(color.blueF() * factor), color.alphaF());
}

}  // namespace flatland::render
