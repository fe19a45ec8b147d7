// VTK scenes of the 3-D views (surface, comparison, volume): only the 3-D content (back panes,
// surfaces, contour lines, trajectories, slices, iso-surfaces). Titles, axes and colour bars are
// painted over the rendered image with QPainter (figure_decorations.h), the same code that draws
// them in PDF and SVG. Used by the offscreen PNG path and by the Qt widget.
#pragma once

#include <vtkSmartPointer.h>

#include <QRectF>
#include <QSize>
#include <memory>
#include <vector>

#include "flatland/render/figures.h"
#include "ortho_view.h"

class vtkCamera;
class vtkRenderWindow;
class vtkRenderer;

namespace flatland::render {

struct Scene {
  // One renderer per panel; all share `camera`, so a comparison's cameras are linked.
  std::vector<vtkSmartPointer<vtkRenderer>> renderers;
  vtkSmartPointer<vtkCamera> camera;
  // A full-window renderer that clears the background around the panels.
  vtkSmartPointer<vtkRenderer> background;
  // State the renderers' observers use (panes that follow the camera); kept alive here.
  std::vector<std::shared_ptr<void>> keepAlive;
  // The parallel scale that fitted the box at the last placement: the user's zoom is kept as a
  // ratio to it when the window changes shape.
  double fittedHalfHeight = 0.0;
};

// The 3-D content of a surface, comparison or volume figure; `pixelsPerPoint` sizes lines (DPI/72).
// Throws RenderError for 2-D figures and malformed data.
Scene buildScene(const Figure& figure, bool transparent, double pixelsPerPoint);

// Adds the scene's renderers to a window (removing any others).
void attachScene(const Scene& scene, vtkRenderWindow* window);

// Puts each panel renderer's viewport on its area (device pixels, origin top-left, in a window
// of `windowSize`). With `resetCamera` the shared camera goes to the figure's elevation/azimuth,
// fitted to the first area; otherwise it keeps its orientation, pan and zoom, re-fitted to the
// areas' new shape.
void placeScene(Scene& scene, const Figure& figure, const std::vector<QRectF>& areas,
                QSize windowSize, bool resetCamera);

// The camera as an OrthoView (for painting axes that match what VTK drew), fitted to `area`'s
// height in device pixels through its parallel scale.
OrthoView viewOfCamera(vtkCamera* camera);

}  // namespace flatland::render
