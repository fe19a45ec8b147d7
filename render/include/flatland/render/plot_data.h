// Plain arrays that the views draw: grids, trajectories, curves. No VTK, no Qt, no LibTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace flatland::render {

// A 2-D loss grid indexed [y, x] (docs/project-file.md): values[iy * xs.size() + ix].
// NaN marks a point that was not computed; it is left out of the drawing.
struct SurfaceGrid {
  std::vector<double> xs;
  std::vector<double> ys;
  std::vector<double> values;

  std::size_t nx() const { return xs.size(); }
  std::size_t ny() const { return ys.size(); }
  double at(std::size_t iy, std::size_t ix) const { return values[iy * xs.size() + ix]; }
  // Throws RenderError when the sizes disagree or an axis has fewer than two points.
  void validate() const;
};

// A 3-D loss grid indexed [z, y, x]: values[(iz * ys.size() + iy) * xs.size() + ix].
struct VolumeGrid {
  std::vector<double> xs;
  std::vector<double> ys;
  std::vector<double> zs;
  std::vector<double> values;

  std::size_t nx() const { return xs.size(); }
  std::size_t ny() const { return ys.size(); }
  std::size_t nz() const { return zs.size(); }
  double at(std::size_t iz, std::size_t iy, std::size_t ix) const {
    return values[(iz * ys.size() + iy) * xs.size() + ix];
  }
  void validate() const;
};

// Checkpoints projected onto the plane of a surface (trajectory/coordinates in the project file).
struct Trajectory {
  std::vector<double> xs;
  std::vector<double> ys;
  std::vector<int64_t> epochs;  // optional; same length as xs when given
};

// One line of a chart: ys against xs, drawn in the order given.
struct Series {
  std::string label;
  std::vector<double> xs;
  std::vector<double> ys;
  bool dashed = false;
  bool markers = false;  // a marker on every point (bit widths, epochs)
  bool line = true;      // false: markers only, a scatter plot
  bool hidden = false;   // switched off by the user: not drawn, keeps its colour; out of the
                         // legend unless the figure lists hidden series (greyed, on screen)
};

// A small picture drawn beside a figure (the sample an input-space surface is centred on): pixels
// row by row with the channels of a pixel together (1: grey, 3: RGB), values in [0, 1] (others
// are clamped).
struct SampleImage {
  int64_t width = 0;
  int64_t height = 0;
  int64_t channels = 1;
  std::vector<double> pixels;
  std::string caption;
  // Throws RenderError when the sizes disagree or channels is neither 1 nor 3.
  void validate() const;
};

// One group of bars: a value per category (λ_max of every class, for instance).
struct BarSeries {
  std::string label;
  std::vector<double> values;
};

}  // namespace flatland::render
