// Fixed synthetic data for every view: the demo of `flatland-cli render --synthetic` and the
// input of the image-regression tests (deterministic: no random numbers).
#pragma once

#include <string>
#include <vector>

#include "flatland/render/figures.h"

namespace flatland::render {

// A 41 x 31 grid on [-1, 1] x [-0.75, 0.75]: a tilted valley with ripples and a secondary basin,
// non-square so that swapping x and y would show.
SurfaceGrid syntheticSurfaceGrid(double sharpness = 1.0);
Trajectory syntheticTrajectory();

// "surface", "contour", "comparison", "volume", "curves", "density", "bars" (also "lines":
// accuracy against bit width with markers). Throws RenderError for other names.
Figure syntheticFigure(const std::string& view);
std::vector<std::string> syntheticViews();

}  // namespace flatland::render
