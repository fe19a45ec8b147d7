#include "contour_geometry.h"

namespace flatland::render {
namespace {

ScalarVertex mix(const ScalarVertex& a, const ScalarVertex& b, double t) {
  return {a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, a.z + (b.z - a.z) * t,
          a.s + (b.s - a.s) * t};
}

// One Sutherland-Hodgman step: keep the part of a convex polygon where sign * (s - level) >= 0.
std::vector<ScalarVertex> clip(const std::vector<ScalarVertex>& polygon, double level,
                               double sign) {
  std::vector<ScalarVertex> out;
  const std::size_t n = polygon.size();
  for (std::size_t i = 0; i < n; ++i) {
    const ScalarVertex& a = polygon[i];
    const ScalarVertex& b = polygon[(i + 1) % n];
    const double da = sign * (a.s - level), db = sign * (b.s - level);
    if (da >= 0) out.push_back(a);
    if ((da >= 0) != (db >= 0)) out.push_back(mix(a, b, da / (da - db)));
  }
  return out;
}

}  // namespace

bool levelSegment(const std::array<ScalarVertex, 3>& t, double level, Segment& out) {
  int found = 0;
  for (int i = 0; i < 3 && found < 2; ++i) {
    const ScalarVertex& a = t[i];
    const ScalarVertex& b = t[(i + 1) % 3];
    // Half-open test so a level through a vertex is counted once.
    if ((a.s < level) != (b.s < level)) out[found++] = mix(a, b, (level - a.s) / (b.s - a.s));
  }
  return found == 2;
}

std::vector<ScalarVertex> bandPolygon(const std::array<ScalarVertex, 3>& t, double lo, double hi) {
  std::vector<ScalarVertex> polygon(t.begin(), t.end());
  polygon = clip(polygon, lo, +1.0);
  if (polygon.size() < 3) return {};
  polygon = clip(polygon, hi, -1.0);
  if (polygon.size() < 3) return {};
  return polygon;
}

}  // namespace flatland::render
