// Where the axes of a 3-D box view go: which edges carry x, y and z, which way their ticks point
// on the page, and how labels anchor there. Shared by the VTK scene and the vector painter so the
// axes of a PNG and a PDF agree (and follow the camera when the user rotates the view).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "ortho_view.h"
#include "ticks.h"

namespace flatland::render {

// One axis of the box: world extent [0, length] shows data values [lo, hi].
struct BoxAxis {
  double length = 1.0;
  double lo = 0.0, hi = 1.0;
  std::vector<Tick> ticks;
  std::string label;
  double toWorld(double value) const { return (value - lo) / (hi - lo) * length; }
};

struct BoxAxes {
  BoxAxis x, y, z;
  Vec3 size() const { return {x.length, y.length, z.length}; }
  const BoxAxis& operator[](int i) const { return i == 0 ? x : i == 1 ? y : z; }
};

// How text sits relative to its anchor point.
enum class HAnchor { Left, Center, Right };  // the anchor is at the text's left/centre/right
enum class VAnchor { Top, Middle, Bottom };  // the anchor is at the text's top/middle/bottom

struct AxisEdge {
  int dimension = 0;
  Vec3 start{};  // where the value lo sits
  Vec3 end{};
  // Unit direction on the page (x right, y up) that points away from the box.
  double outX = 0.0, outY = -1.0;
  HAnchor tickH = HAnchor::Center;
  VAnchor tickV = VAnchor::Top;
  HAnchor labelH = HAnchor::Center;
  VAnchor labelV = VAnchor::Top;
};

// x along the floor edge nearest the viewer in y, y along the one nearest in x, z on the vertical
// edge that appears leftmost on the page (matplotlib's choice).
std::array<AxisEdge, 3> axisEdges(const BoxAxes& axes, const OrthoView& view);

// For each axis, the side (0 or length) of the box farther from the viewer.
Vec3 backSides(const BoxAxes& axes, const OrthoView& view);

}  // namespace flatland::render
