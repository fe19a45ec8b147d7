// Writes a figure to a file: PNG (raster, any size and DPI), PDF and SVG (vectors).
#pragma once

#include <string>

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

// Renders `figure` into `path`, choosing the format from the extension. 3-D views become PNGs
// through an offscreen VTK render window (needs an X display: run under xvfb-run); 2-D views and
// every PDF/SVG are painted with QPainter, so their lines, polygons and text stay vectors.
// Throws RenderError on bad data, an unknown extension, no display, or an unwritable file (a
// failed PDF/SVG export leaves no partial file). Creates a QGuiApplication when the process has
// none (CLI, tests); call it from the thread that owns the Qt application.
void exportFigure(const Figure& figure, const std::string& path, const ExportOptions& options = {});

// True when an X display is available for the VTK (3-D) PNG path.
bool displayAvailable();

}  // namespace flatland::render
