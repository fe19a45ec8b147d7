// The camera of the 3-D views as plain maths: an orthographic view of a box from matplotlib-style
// elevation/azimuth angles. The VTK scene and the vector painter both use it, so the PNG and the
// PDF of a surface are seen from exactly the same place.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

namespace flatland::render {

using Vec3 = std::array<double, 3>;

struct OrthoView {
  Vec3 center{};    // the box centre (focal point)
  Vec3 toViewer{};  // unit vector from the centre towards the viewer
  Vec3 right{};     // screen x in world space
  Vec3 up{};        // screen y in world space
  // Half the visible height in world units (VTK's parallel scale).
  double halfHeight = 1.0;

  // Screen coordinates in world units relative to the centre (x right, y up) and depth (larger is
  // nearer the viewer).
  std::array<double, 3> project(const Vec3& p) const {
    const Vec3 d{p[0] - center[0], p[1] - center[1], p[2] - center[2]};
    return {dot(d, right), dot(d, up), dot(d, toViewer)};
  }
  static double dot(const Vec3& a, const Vec3& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  }
};

// Half the visible height that fits the box [lo, hi], seen along `view`'s orientation, into a
// viewport of the given width/height ratio, with `margin` (fraction of the box's projected size)
// left around it for axis labels.
inline double fittedHalfHeight(const OrthoView& view, const Vec3& lo, const Vec3& hi, double aspect,
                               double margin) {
  OrthoView centred = view;
  for (int i = 0; i < 3; ++i) centred.center[i] = 0.5 * (lo[i] + hi[i]);
  double halfW = 0.0, halfH = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 p{(corner & 1) ? hi[0] : lo[0], (corner & 2) ? hi[1] : lo[1],
                 (corner & 4) ? hi[2] : lo[2]};
    const auto s = centred.project(p);
    halfW = std::max(halfW, std::abs(s[0]));
    halfH = std::max(halfH, std::abs(s[1]));
  }
  return std::max(halfH, halfW / std::max(aspect, 1e-6)) * (1.0 + margin);
}

// A view of the box [lo, hi] from (elevation, azimuth) in degrees, fitted as fittedHalfHeight.
inline OrthoView makeOrthoView(const Vec3& lo, const Vec3& hi, double elevationDeg,
                               double azimuthDeg, double aspect, double margin) {
  OrthoView view;
  const double e = elevationDeg * M_PI / 180.0, a = azimuthDeg * M_PI / 180.0;
  for (int i = 0; i < 3; ++i) view.center[i] = 0.5 * (lo[i] + hi[i]);
  view.toViewer = {std::cos(e) * std::cos(a), std::cos(e) * std::sin(a), std::sin(e)};
  // right = forward x world-up, up = right x forward (forward = -toViewer).
  const Vec3 f{-view.toViewer[0], -view.toViewer[1], -view.toViewer[2]};
  Vec3 r{f[1], -f[0], 0.0};  // f x (0, 0, 1)
  const double rn = std::hypot(r[0], r[1]);
  r = rn > 1e-9 ? Vec3{r[0] / rn, r[1] / rn, 0.0} : Vec3{1.0, 0.0, 0.0};
  view.right = r;
  view.up = {r[1] * f[2] - r[2] * f[1], r[2] * f[0] - r[0] * f[2], r[0] * f[1] - r[1] * f[0]};
  view.halfHeight = fittedHalfHeight(view, lo, hi, aspect, margin);
  return view;
}

}  // namespace flatland::render
