// The 3-D views as vector polygons for PDF and SVG: meshes projected with the view's camera,
// sorted back to front and painted, the way matplotlib's mplot3d does it.
#include <vtkCellArray.h>
#include <vtkDataArray.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>

#include <algorithm>
#include <cmath>

#include "contour_geometry.h"
#include "figure_painters.h"
#include "flatland/errors.h"
#include "layout_3d.h"
#include "projected_box.h"
#include "surface_mesh.h"
#include "volume_geometry.h"

namespace flatland::render {
namespace {

Vec3 toVec(const Point3& p) { return {p[0], p[1], p[2]}; }

Vec3 normalOf(const Vec3& a, const Vec3& b, const Vec3& c) {
  const Vec3 u{b[0] - a[0], b[1] - a[1], b[2] - a[2]}, v{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
  return {u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]};
}

Primitive triangle(const Projector& projector, const Vec3& a, const Vec3& b, const Vec3& c,
                   const QColor& fill) {
  Primitive t;
  t.shape << projector.toDevice(a) << projector.toDevice(b) << projector.toDevice(c);
  t.fill = fill;
  // A hairline of the fill colour hides the seams between neighbouring triangles (opaque only:
  // on translucent ones it would double the alpha along edges).
  if (fill.alpha() == 255) {
    t.stroke = fill;
    t.strokePt = 0.3;
  }
  t.depth = (projector.depth(a) + projector.depth(b) + projector.depth(c)) / 3;
  return t;
}

// A line painted after the surface it lies on: its depth is that of `under` (the nearest corner
// of the triangle it was cut from) plus `lift`, so only geometry truly in front covers it.
Primitive segment(const Projector& projector, const Vec3& a, const Vec3& b, const QColor& color,
                  double widthPt, double under, double lift) {
  Primitive line;
  line.filled = false;
  line.shape << projector.toDevice(a) << projector.toDevice(b);
  line.stroke = color;
  line.strokePt = widthPt;
  line.depth = std::max({under, projector.depth(a), projector.depth(b)}) + lift;
  return line;
}

void addSurface(const SurfaceFigure& figure, const ValueRange& range, const Projector& projector,
                std::vector<Primitive>& primitives) {
  const SurfaceMesh mesh = buildSurfaceMesh(figure, range);
  const ColorMap map(figure.colorMap);
  for (const auto& t : mesh.triangles) {
    const Vec3 a = toVec(mesh.points[t[0]]), b = toVec(mesh.points[t[1]]),
               c = toVec(mesh.points[t[2]]);
    const double mean = (mesh.scalars[t[0]] + mesh.scalars[t[1]] + mesh.scalars[t[2]]) / 3;
    const QColor colour = toQColor(map.at((mean - range.lo) / (range.hi - range.lo)));
    primitives.push_back(
        triangle(projector, a, b, c, shade(colour, normalOf(a, b, c), projector.view())));
  }
  // Contour lines take part in the depth sort, so hills hide them.
  if (figure.contourLevels > 0) {
    const auto levels = linearTicks(range.lo, range.hi, figure.contourLevels);
    for (const auto& t : mesh.triangles) {
      std::array<ScalarVertex, 3> tri;
      double nearest = -1e300;
      for (int k = 0; k < 3; ++k) {
        const Point3& p = mesh.points[t[k]];
        tri[k] = {p[0], p[1], p[2], mesh.scalars[t[k]]};
        nearest = std::max(nearest, projector.depth(toVec(p)));
      }
      for (const Tick& level : levels) {
        Segment s;
        if (levelSegment(tri, level.value, s))
          primitives.push_back(segment(projector, {s[0].x, s[0].y, s[0].z},
                                       {s[1].x, s[1].y, s[1].z}, QColor(0, 0, 0, 110), 0.4, nearest,
                                       1e-6));
      }
    }
  }
  if (figure.trajectory) {
    const Trajectory& path = *figure.trajectory;
    for (std::size_t i = 0; i + 1 < path.xs.size() && i + 1 < path.ys.size(); ++i) {
      const double s0 = mesh.sample(path.xs[i], path.ys[i], figure.grid);
      const double s1 = mesh.sample(path.xs[i + 1], path.ys[i + 1], figure.grid);
      if (!std::isfinite(s0) || !std::isfinite(s1)) continue;
      Point3 a = mesh.toScene(path.xs[i], path.ys[i], s0);
      Point3 b = mesh.toScene(path.xs[i + 1], path.ys[i + 1], s1);
      a[2] = std::min(a[2], kSurfaceBoxHeight) + 0.015;  // lifted off the surface
      b[2] = std::min(b[2], kSurfaceBoxHeight) + 0.015;
      primitives.push_back(
          segment(projector, toVec(a), toVec(b), QColor(200, 30, 30), 1.2, -1e300, 0.03));
    }
  }
}

void addPolyData(vtkPolyData* data, const Projector& projector, const ColorMap& map,
                 const ValueRange& range, const QColor* uniform,
                 std::vector<Primitive>& primitives) {
  if (!data || data->GetNumberOfPolys() == 0) return;
  vtkDataArray* scalars = data->GetPointData()->GetScalars();
  vtkIdType count = 0;
  const vtkIdType* ids = nullptr;
  auto polys = data->GetPolys();
  polys->InitTraversal();
  while (polys->GetNextCell(count, ids)) {
    if (count != 3) continue;
    Vec3 p[3];
    double s = 0.0;
    for (int k = 0; k < 3; ++k) {
      data->GetPoint(ids[k], p[k].data());
      if (scalars) s += scalars->GetTuple1(ids[k]) / 3;
    }
    const QColor colour =
        uniform ? *uniform : toQColor(map.at((s - range.lo) / (range.hi - range.lo)));
    primitives.push_back(triangle(projector, p[0], p[1], p[2],
                                  shade(colour, normalOf(p[0], p[1], p[2]), projector.view())));
  }
}

void paintPanels(const Figure& figure, const Layout3D& layout, PlotPainter& out) {
  std::vector<OrthoView> views;
  for (std::size_t i = 0; i < layout.panels.size(); ++i) {
    const Panel3D& panel = layout.panels[i];
    views.push_back(panelView(panel));
    const Projector projector(views.back(), panel.area);
    drawBackPanes(out, projector, panel.axes);
    std::vector<Primitive> primitives;
    if (const auto* surface = std::get_if<SurfaceFigure>(&figure)) {
      addSurface(*surface, layout.range, projector, primitives);
    } else if (const auto* comparison = std::get_if<ComparisonFigure>(&figure)) {
      addSurface(comparison->panels[i], layout.range, projector, primitives);
    } else if (const auto* volume = std::get_if<VolumeFigure>(&figure)) {
      const VolumeGeometry geometry = buildVolumeGeometry(*volume);
      const ColorMap map(volume->colorMap);
      addPolyData(geometry.slices, projector, map, layout.range, nullptr, primitives);
      const QColor iso(237, 237, 237, 102);  // as the VTK view: light grey, 40 % opaque
      addPolyData(geometry.isoSurface, projector, map, layout.range, &iso, primitives);
    }
    out.painter().save();
    out.painter().setClipRect(panel.area);
    paintDepthSorted(out, primitives);
    out.painter().restore();
  }
  paintDecorations3D(layout, views, out);
}

}  // namespace

void paintSurface3D(const SurfaceFigure& figure, PlotPainter& out) {
  const Figure whole = figure;
  paintPanels(whole, layoutFigure3D(whole, out), out);
}

void paintComparison(const ComparisonFigure& figure, PlotPainter& out) {
  if (figure.contours) {
    paintContourComparison(figure, out);
    return;
  }
  const Figure whole = figure;
  paintPanels(whole, layoutFigure3D(whole, out), out);
}

void paintVolume(const VolumeFigure& figure, PlotPainter& out) {
  const Figure whole = figure;
  paintPanels(whole, layoutFigure3D(whole, out), out);
}

void paintFigure(const Figure& figure, PlotPainter& out) {
  std::visit(
      [&](const auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, SurfaceFigure>)
          paintSurface3D(f, out);
        else if constexpr (std::is_same_v<T, ContourMapFigure>)
          paintContourMap(f, out);
        else if constexpr (std::is_same_v<T, ComparisonFigure>)
          paintComparison(f, out);
        else if constexpr (std::is_same_v<T, VolumeFigure>)
          paintVolume(f, out);
        else if constexpr (std::is_same_v<T, CurvesFigure>)
          paintCurves(f, out);
        else if constexpr (std::is_same_v<T, DensityFigure>)
          paintDensity(f, out);
        else if constexpr (std::is_same_v<T, BarsFigure>)
          paintBars(f, out);
      },
      figure);
}

}  // namespace flatland::render
