// Page layout of the 3-D views and the parts of them painted with QPainter in every output:
// titles, box axes, the colour bar and the minimum mark. The 3-D content itself comes from VTK
// (PNG, screen) or from depth-sorted polygons (PDF, SVG).
#pragma once

#include <QRectF>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "box_axes.h"
#include "flatland/render/figures.h"
#include "plot_painter.h"
#include "surface_mesh.h"

namespace flatland::render {

// Room around a box, as a fraction of its projected size, for tick and axis labels.
inline constexpr double kBoxMargin = 0.2;

struct Panel3D {
  QRectF area;  // where the box is drawn (device units)
  std::string title;
  QPointF titleAnchor;
  BoxAxes axes;
  double elevation = 30.0, azimuth = -60.0;
  std::optional<Vec3> minimum;  // world point to mark with a star
  // The surface drawn (surface panels): hides the star where it lies in front of the minimum.
  std::shared_ptr<const SurfaceMesh> mesh;
};

struct Layout3D {
  std::vector<Panel3D> panels;
  ValueRange range;  // the one colour scale of all panels
  ColorMapName colorMap = ColorMapName::Viridis;
  std::string valueLabel;
  std::string title;
  QRectF colorBar;
};

// Throws RenderError for 2-D figures or malformed data.
Layout3D layoutFigure3D(const Figure& figure, const PlotPainter& out);

// The default camera of a panel, fitted to its area.
OrthoView panelView(const Panel3D& panel);

// Whether the panel's minimum can be seen along `view`: no part of its surface lies between the
// minimum and the viewer. The star is painted over the 3-D picture, so without this test it
// showed through a ridge in front of the valley.
bool minimumVisible(const Panel3D& panel, const OrthoView& view);

// Titles, axes (seen through `views`, one per panel), visible minimum stars and the colour bar.
void paintDecorations3D(const Layout3D& layout, const std::vector<OrthoView>& views,
                        PlotPainter& out);

// The loss a volume's iso-surface shows: the given one, else the 20th percentile of the grid.
double isoLossOf(const VolumeFigure& figure);

// The box of a volume: unit floor, slightly flatter height as for surfaces.
inline constexpr double kVolumeBoxHeight = 0.8;

}  // namespace flatland::render
