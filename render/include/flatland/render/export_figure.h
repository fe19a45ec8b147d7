// Writes a figure to a file: PNG (raster, any size and DPI), PDF and SVG (vectors).
#pragma once

#include <string>
#include <vector>

#include "flatland/render/figures.h"

namespace flatland::render {

enum class FileFormat { Png, Pdf, Svg };

// The format named by a path's extension (.png, .pdf, .svg; any case). Throws RenderError.
FileFormat formatFromPath(const std::string& path);

struct ExportOptions {
  // Size in pixels at `dpi`; a PDF/SVG page is width/dpi by height/dpi inches. The default is one
  // column of a two-column paper (3.5 in x 2.6 in) at 300 DPI.
  int width = 1050;
  int height = 780;
  double dpi = 300.0;
  bool transparent = false;  // no background fill (PNG alpha, no page rectangle in PDF/SVG)
};

// Where the data of a 2-D figure lands in an image of options' size: the plot rectangle in pixels
// from the top left, and the data range of each axis. Interactive views map the mouse with it.
struct PlotFrame {
  double left = 0, top = 0, width = 0, height = 0;
  double xLo = 0, xHi = 1, yLo = 0, yHi = 1;
  bool xLog = false, yLog = false;
  bool valid = false;  // false for 3-D views and figures without axes
  bool contains(double px, double py) const;
  double xAt(double px) const;  // data coordinate of a pixel column
  double yAt(double py) const;
  double pixelX(double x) const;  // and back
  double pixelY(double y) const;
  // Legend rows that stand for a series (curves: left, then right; densities), in pixels.
  struct LegendRow {
    double left = 0, top = 0, width = 0, height = 0;
    int series = -1;
  };
  std::vector<LegendRow> legend;
  // The series whose legend row holds the pixel, or −1.
  int legendSeriesAt(double px, double py) const;
};

// Renders `figure` into `path`, choosing the format from the extension. 3-D views become PNGs
// through an offscreen VTK render window (needs an X display: run under xvfb-run); 2-D views and
// every PDF/SVG are painted with QPainter, so their lines, polygons and text stay vectors.
// Throws RenderError on bad data, an unknown extension, no display, or an unwritable file (a
// failed PDF/SVG export leaves no partial file). Creates a QGuiApplication when the process has
// none (CLI, tests); call it from the thread that owns the Qt application.
// For a 2-D figure written as PNG, `frame` (when given) receives where its data lies in the image.
void exportFigure(const Figure& figure, const std::string& path, const ExportOptions& options = {},
                  PlotFrame* frame = nullptr);

// True when an X display is available for the VTK (3-D) PNG path.
bool displayAvailable();

}  // namespace flatland::render
