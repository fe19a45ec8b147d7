// The offscreen PNG path of the 3-D views: VTK renders into a hidden window (needs an X display;
// run under xvfb-run), QPainter adds titles, axes and the colour bar.
#pragma once

#include <QImage>

#include "flatland/render/export_figure.h"

namespace flatland::render {

// Throws RenderError when there is no display or the figure is not a 3-D view.
QImage renderFigure3D(const Figure& figure, const ExportOptions& options);

}  // namespace flatland::render
