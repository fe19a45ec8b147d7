// Grid specs of loss surfaces ("-1:1:51" per axis) and the [z, y, x] order of their points.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "flatland/analysis/direction_choices.h"

namespace flatland::analysis {

// One axis: n equally spaced step sizes from lo to hi (both included).
struct GridAxis {
  double lo = -1.0;
  double hi = 1.0;
  int64_t n = 51;

  // lo + (hi − lo)·i/(n − 1), computed so that 0 and 1 land exactly on grids that contain them.
  std::vector<double> coordinates() const;
  std::string text() const;                        // "-1:1:51"
  static GridAxis parse(const std::string& text);  // throws InvalidArgument
};

// A 1-, 2- or 3-D grid. Axis 0 is x (direction d0), axis 1 is y (d1), axis 2 is z (d2).
// Values are stored row-major as [nx], [ny, nx] or [nz, ny, nx]: the flat index of the point
// (x_i, y_j, z_k) is (k·ny + j)·nx + i.
struct GridSpec {
  std::vector<GridAxis> axes;

  int64_t dimensions() const { return int64_t(axes.size()); }
  int64_t points() const;
  // The storage shape: [nx], [ny, nx] or [nz, ny, nx].
  std::vector<int64_t> shape() const;
  // The step sizes (x, y, z) of a flat index; unused axes are 0.
  std::array<double, 3> point(int64_t flat) const;
  std::string text() const;  // "-1:1:21,-1:1:21"
  // "X[,Y[,Z]]", each axis "lo:hi:n". Throws InvalidArgument.
  static GridSpec parse(const std::string& text);
};

// The grid a surface gets when none is given: -1:1:51,-1:1:51 for random and eigen directions,
// -0.5:1.5:41 for an interpolation (a margin past both models); empty for PCA, whose grid frames
// the projected trajectory instead.
std::string defaultGridFor(DirectionKind kind);

}  // namespace flatland::analysis
