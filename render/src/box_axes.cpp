#include "box_axes.h"

#include <cmath>

namespace flatland::render {

Vec3 backSides(const BoxAxes& axes, const OrthoView& view) {
  const Vec3 size = axes.size();
  Vec3 back{};
  for (int i = 0; i < 3; ++i) back[i] = view.toViewer[i] > 0 ? 0.0 : size[i];
  return back;
}

std::array<AxisEdge, 3> axisEdges(const BoxAxes& axes, const OrthoView& view) {
  const Vec3 size = axes.size();
  const Vec3 back = backSides(axes, view);
  const Vec3 centre{size[0] / 2, size[1] / 2, size[2] / 2};
  const auto screen = [&](const Vec3& p) {
    const auto s = view.project(p);
    return std::array<double, 2>{s[0], s[1]};
  };
  Vec3 zBase{0, 0, 0};
  double leftmost = 1e300;
  for (double cx : {0.0, size[0]})
    for (double cy : {0.0, size[1]}) {
      const double u = screen({cx, cy, 0})[0];
      if (u < leftmost) leftmost = u, zBase = {cx, cy, 0};
    }
  std::array<AxisEdge, 3> edges;
  edges[0].start = {0, size[1] - back[1], 0};
  edges[1].start = {size[0] - back[0], 0, 0};
  edges[2].start = zBase;
  const auto c = screen(centre);
  for (int d = 0; d < 3; ++d) {
    AxisEdge& e = edges[d];
    e.dimension = d;
    e.end = e.start;
    e.end[d] = size[d];
    if (d == 2) {
      e.outX = -1.0;
      e.outY = 0.0;
    } else {
      const Vec3 mid{(e.start[0] + e.end[0]) / 2, (e.start[1] + e.end[1]) / 2, 0.0};
      const auto m = screen(mid);
      double ox = m[0] - c[0], oy = m[1] - c[1];
      const double n = std::hypot(ox, oy);
      e.outX = n > 0 ? ox / n : 0.0;
      e.outY = n > 0 ? oy / n : -1.0;
    }
    // Labels sit on the side the ticks point to.
    e.tickH = e.outX > 0.35 ? HAnchor::Left : e.outX < -0.35 ? HAnchor::Right : HAnchor::Center;
    e.tickV = e.outY < -0.35 ? VAnchor::Top : e.outY > 0.35 ? VAnchor::Bottom : VAnchor::Middle;
    e.labelH = e.tickH;
    e.labelV = e.tickV;
  }
  return edges;
}

}  // namespace flatland::render
