// The figures Flatland draws, described by plain data. One description feeds every output: the
// VTK view on screen, a PNG, and vector PDF/SVG.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "flatland/render/colormap.h"
#include "flatland/render/plot_data.h"

namespace flatland::render {

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// How loss values become heights and colours.
struct ValueScale {
  bool logScale = false;  // log10 of the loss (values <= 0 are floored at the smallest positive)
  double clipMax = kNoValue;  // losses above are drawn at clipMax (NaN: no clipping)
  // The loss range heights and colours span, so views of different surfaces share one scale;
  // losses outside are drawn at its ends (NaN: the grid's own range).
  double fixedLo = kNoValue, fixedHi = kNoValue;
  bool fixed() const {
    return std::isfinite(fixedLo) && std::isfinite(fixedHi) && fixedHi > fixedLo;
  }
};

// Loss surface of a 2-D grid, drawn as a 3-D surface.
struct SurfaceFigure {
  SurfaceGrid grid;
  std::optional<Trajectory> trajectory;
  ValueScale scale;
  ColorMapName colorMap = ColorMapName::Viridis;
  int contourLevels = 10;  // contour lines on the surface (0: none)
  bool markMinimum = true;
  std::string title;
  std::string xLabel = "\u03b1";  // step along d0
  std::string yLabel = "\u03b2";  // step along d1
  std::string valueLabel = "loss";
  // Camera, as matplotlib's view_init: degrees above the plane and around the z axis.
  double elevation = 30.0;
  double azimuth = -60.0;
};

// The same grid as a flat map with filled contours.
struct ContourMapFigure {
  ContourMapFigure() = default;
  ContourMapFigure(SurfaceFigure surface_, std::optional<SampleImage> image_ = std::nullopt)
      : surface(std::move(surface_)), image(std::move(image_)) {}
  SurfaceFigure surface;
  std::optional<SampleImage> image;  // drawn to the right of the colour bar
};

// Two or more surfaces side by side, one colour scale for all (cameras linked on screen).
struct ComparisonFigure {
  std::vector<SurfaceFigure> panels;  // each panel's title names it
  std::string title;
  // Flat contour maps side by side (painted in 2-D, not a 3-D view), on one loss range unless
  // the panels fix their own.
  bool contours = false;
};

// A loss volume over three directions: three orthogonal slices and an iso-surface.
struct VolumeFigure {
  VolumeGrid grid;
  ValueScale scale;
  ColorMapName colorMap = ColorMapName::Viridis;
  double isoValue = kNoValue;  // in loss units; NaN: the 20th percentile of the volume
  std::string title;
  std::string xLabel = "\u03b1", yLabel = "\u03b2", zLabel = "\u03b3";
  std::string valueLabel = "loss";
  double elevation = 25.0;
  double azimuth = -55.0;
};

// The part of a chart's data on show (zoomed and panned by the user). NaN ends: the data's own
// extent, as without a window.
struct AxisWindow {
  double xLo = kNoValue, xHi = kNoValue;
  double yLo = kNoValue, yHi = kNoValue;
  bool hasX() const { return std::isfinite(xLo) && std::isfinite(xHi) && xHi > xLo; }
  bool hasY() const { return std::isfinite(yLo) && std::isfinite(yHi) && yHi > yLo; }
};

// Lines on x/y axes: loss and accuracy along a direction, metrics against epochs, accuracy
// against bit width. `right` series use a second y axis (accuracy beside loss).
struct CurvesFigure {
  std::vector<Series> left;
  std::vector<Series> right;
  std::string title;
  std::string xLabel;
  std::string leftLabel;
  std::string rightLabel;
  bool logY = false;
  // Counts spanning decades (class sizes of long-tailed data): points at x <= 0 are left out.
  bool logX = false;
  AxisWindow window;  // of x and the left y axis
  // On screen: hidden series stay in the legend, greyed, so a click there shows them again.
  bool legendListsHidden = false;
  // Small multiples: one panel per shown left series (its label the panel's title), in a grid,
  // all on the same axes; right-axis series are left out.
  bool smallMultiples = false;
};

// Spectral densities of Hessians on a log y axis, overlaid, with the top eigenvalues marked.
struct DensityFigure {
  std::vector<Series> densities;
  // Per density (same order; may be shorter): eigenvalues to mark along the top of the plot.
  std::vector<std::vector<double>> topEigenvalues;
  double floor = 1e-7;  // densities below are drawn at the floor (log axes cannot show 0)
  std::string title;
  std::string xLabel = "eigenvalue \u03bb";
  std::string yLabel = "density";
  bool logY = true;  // false: a linear axis from 0 (the bulk near 0 at its true height)
  AxisWindow window;
  bool legendListsHidden = false;  // as CurvesFigure's
  bool smallMultiples = false;     // one panel per shown density, on the same axes
  // Per density (may be empty): SLQ's nodes and weights, one row per start vector, so a view can
  // smooth them again with another kernel width (smoothedDensity).
  std::vector<std::vector<std::vector<double>>> nodes, weights;
};

// Σ_v Σ_i w_vi N(x; θ_vi, σ²) / n_v on the grid xs: the density of SLQ's nodes θ and weights w
// (one row per start vector) smoothed by Gaussians of width σ.
std::vector<double> smoothedDensity(const std::vector<std::vector<double>>& nodes,
                                    const std::vector<std::vector<double>>& weights,
                                    const std::vector<double>& xs, double sigma);

// Grouped bars: one group per category (class), one bar per series (λ_max, λ_min, trace).
struct BarsFigure {
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  std::string title;
  std::string xLabel;
  std::string yLabel;
  bool valueLabels = false;  // each bar's value written at its end, to be read as a table
};

using Figure = std::variant<SurfaceFigure, ContourMapFigure, ComparisonFigure, VolumeFigure,
                            CurvesFigure, DensityFigure, BarsFigure>;

// "surface", "contour", "comparison", "volume", "curves", "density", "bars".
std::string figureKind(const Figure& figure);
// True for the views drawn in 3-D by VTK (surface, comparison but not of contours, volume).
bool isThreeDimensional(const Figure& figure);

}  // namespace flatland::render
