// A loss grid turned into a triangle mesh in a normalised box, shared by the VTK scene and the
// vector painter so the screen, the PNG and the PDF show the same geometry.
#pragma once

#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "flatland/render/figures.h"

namespace flatland::render {

// Height of the box relative to its unit-square floor: a landscape reads best a bit flatter than a
// cube (matplotlib's default 3-D box is 1:1:0.75 after its own scaling).
inline constexpr double kSurfaceBoxHeight = 0.7;

// A value range after ValueScale (log10 when logScale).
struct ValueRange {
  double lo = 0.0;
  double hi = 1.0;
};

using Point3 = std::array<double, 3>;

struct SurfaceMesh {
  // Scene coordinates: x, y in [0, 1], z in [0, kSurfaceBoxHeight].
  std::vector<Point3> points;   // one per grid point, [iy * nx + ix]
  std::vector<double> scalars;  // the scaled value per point (NaN where not computed)
  std::vector<bool> valid;
  std::vector<std::array<int, 3>> triangles;  // only cells whose corners are all valid
  ValueRange range;                           // of scaled values: colour and height span it
  double xLo = 0, xHi = 1, yLo = 0, yHi = 1;  // the grid's coordinate range
  int minimumIndex = -1;                      // grid point of the smallest loss

  Point3 toScene(double x, double y, double scaled) const;
  double heightOf(double scaled) const;
  // Bilinear interpolation of the scaled values at grid coordinates (x, y); NaN outside.
  double sample(double x, double y, const SurfaceGrid& grid) const;
};

// The scaled value (clip, then log10) of one loss.
double scaleValue(double loss, const ValueScale& scale, double positiveFloor);
// Smallest positive finite value of a set of losses (floor for log scales).
double positiveFloorOf(const std::vector<double>& values);
// Range of the scaled values of a grid.
ValueRange scaledRange(const std::vector<double>& values, const ValueScale& scale);

// Throws RenderError on a malformed grid or one with no computed point.
SurfaceMesh buildSurfaceMesh(const SurfaceFigure& figure,
                             std::optional<ValueRange> sharedRange = std::nullopt);

// The text for a colour bar or z axis: "loss", "log10 loss", "loss (clipped at 5)".
std::string valueAxisLabel(const std::string& valueLabel, const ValueScale& scale);

}  // namespace flatland::render
