// Contour lines and filled contour bands cut from a triangle mesh with a scalar per vertex, by
// linear interpolation inside each triangle (marching triangles). Pure geometry, no drawing, so
// the flat contour map and the projected 3-D surface share it.
#pragma once

#include <array>
#include <vector>

namespace flatland::render {

// A vertex: position (x, y, z) and the scalar s that is contoured.
struct ScalarVertex {
  double x, y, z, s;
};

using Segment = std::array<ScalarVertex, 2>;

// The piece of the level set s = level inside one triangle (0 or 1 segment).
bool levelSegment(const std::array<ScalarVertex, 3>& triangle, double level, Segment& out);

// The part of a triangle where lo <= s <= hi: a convex polygon of 0, 3, 4 or 5 vertices.
std::vector<ScalarVertex> bandPolygon(const std::array<ScalarVertex, 3>& triangle, double lo,
                                      double hi);

}  // namespace flatland::render
