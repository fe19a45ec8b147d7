#include "surface_mesh.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "flatland/errors.h"

namespace flatland::render {

double positiveFloorOf(const std::vector<double>& values) {
  double floor = std::numeric_limits<double>::infinity();
  for (double v : values)
    if (std::isfinite(v) && v > 0) floor = std::min(floor, v);
  return std::isfinite(floor) ? floor : 1e-12;
}

double scaleValue(double loss, const ValueScale& scale, double positiveFloor) {
  if (!std::isfinite(loss)) return std::numeric_limits<double>::quiet_NaN();
  if (std::isfinite(scale.clipMax)) loss = std::min(loss, scale.clipMax);
  if (scale.logScale) return std::log10(std::max(loss, positiveFloor));
  return loss;
}

ValueRange scaledRange(const std::vector<double>& values, const ValueScale& scale) {
  const double floor = positiveFloorOf(values);
  if (scale.fixed())
    return {scaleValue(scale.fixedLo, scale, floor), scaleValue(scale.fixedHi, scale, floor)};
  ValueRange range{std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()};
  for (double v : values) {
    const double s = scaleValue(v, scale, floor);
    if (!std::isfinite(s)) continue;
    range.lo = std::min(range.lo, s);
    range.hi = std::max(range.hi, s);
  }
  if (!std::isfinite(range.lo)) throw RenderError("the grid has no computed (finite) point");
  if (range.hi - range.lo < 1e-12) range.hi = range.lo + 1.0;  // a flat grid still draws
  return range;
}

std::string valueAxisLabel(const std::string& valueLabel, const ValueScale& scale) {
  std::string label = scale.logScale ? "log\u2081\u2080 " + valueLabel : valueLabel;
  if (std::isfinite(scale.clipMax)) {
    std::ostringstream text;
    text << label << " (clipped at " << scale.clipMax << ")";
    label = text.str();
  }
  return label;
}

double SurfaceMesh::heightOf(double scaled) const {
  return (scaled - range.lo) / (range.hi - range.lo) * kSurfaceBoxHeight;
}

Point3 SurfaceMesh::toScene(double x, double y, double scaled) const {
  return {(x - xLo) / (xHi - xLo), (y - yLo) / (yHi - yLo), heightOf(scaled)};
}

double SurfaceMesh::sample(double x, double y, const SurfaceGrid& grid) const {
  const auto cell = [](const std::vector<double>& axis, double v, std::size_t& i, double& f) {
    if (v < axis.front() || v > axis.back()) return false;
    i = std::size_t(std::upper_bound(axis.begin(), axis.end(), v) - axis.begin());
    i = std::clamp<std::size_t>(i, 1, axis.size() - 1) - 1;
    f = (v - axis[i]) / (axis[i + 1] - axis[i]);
    return true;
  };
  std::size_t ix, iy;
  double fx, fy;
  if (!cell(grid.xs, x, ix, fx) || !cell(grid.ys, y, iy, fy))
    return std::numeric_limits<double>::quiet_NaN();
  const std::size_t nx = grid.nx();
  const auto s = [&](std::size_t j, std::size_t i) { return scalars[j * nx + i]; };
  return (1 - fy) * ((1 - fx) * s(iy, ix) + fx * s(iy, ix + 1)) +
         fy * ((1 - fx) * s(iy + 1, ix) + fx * s(iy + 1, ix + 1));
}

SurfaceMesh buildSurfaceMesh(const SurfaceFigure& figure, std::optional<ValueRange> sharedRange) {
  const SurfaceGrid& grid = figure.grid;
  grid.validate();
  SurfaceMesh mesh;
  mesh.range = sharedRange ? *sharedRange : scaledRange(grid.values, figure.scale);
  mesh.xLo = grid.xs.front();
  mesh.xHi = grid.xs.back();
  mesh.yLo = grid.ys.front();
  mesh.yHi = grid.ys.back();
  if (!(mesh.xHi > mesh.xLo) || !(mesh.yHi > mesh.yLo))
    throw RenderError("grid coordinates must increase along x and y");

  const std::size_t nx = grid.nx(), ny = grid.ny();
  const double floor = positiveFloorOf(grid.values);
  double smallest = std::numeric_limits<double>::infinity();
  for (std::size_t iy = 0; iy < ny; ++iy)
    for (std::size_t ix = 0; ix < nx; ++ix) {
      const double loss = grid.at(iy, ix);
      double s = scaleValue(loss, figure.scale, floor);
      const bool ok = std::isfinite(s);
      if (ok && figure.scale.fixed()) s = std::clamp(s, mesh.range.lo, mesh.range.hi);
      mesh.scalars.push_back(s);
      mesh.valid.push_back(ok);
      mesh.points.push_back(mesh.toScene(grid.xs[ix], grid.ys[iy], ok ? s : mesh.range.lo));
      if (ok && loss < smallest) {
        smallest = loss;
        mesh.minimumIndex = int(iy * nx + ix);
      }
    }
  if (mesh.minimumIndex < 0) throw RenderError("the grid has no computed (finite) point");
  // Heights outside a shared range are clamped to the box so panels stay comparable.
  for (auto& p : mesh.points) p[2] = std::clamp(p[2], 0.0, kSurfaceBoxHeight);

  for (std::size_t iy = 0; iy + 1 < ny; ++iy)
    for (std::size_t ix = 0; ix + 1 < nx; ++ix) {
      const int a = int(iy * nx + ix), b = a + 1, c = a + int(nx), d = c + 1;
      if (mesh.valid[a] && mesh.valid[b] && mesh.valid[d]) mesh.triangles.push_back({a, b, d});
      if (mesh.valid[a] && mesh.valid[d] && mesh.valid[c]) mesh.triangles.push_back({a, d, c});
    }
  return mesh;
}

}  // namespace flatland::render
