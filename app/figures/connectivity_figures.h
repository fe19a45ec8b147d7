// The views of a mode-connectivity analysis (kind = "connectivity", docs/project-file.md) and of
// several side by side. Part of flatland_figures; free of LibTorch.
#pragma once

#include <string>
#include <vector>

#include "project_figures.h"

namespace flatland::app {

// Loss, and accuracy, against t along the straight line and the trained curve (train solid,
// test dashed), the barriers in the title.
std::vector<NamedFigure> connectivityFigures(const training::Node& node, const std::string& name);

// The train loss along every analysis's paths overlaid: curves solid, straight lines dashed.
std::vector<NamedFigure> connectivityComparison(const std::vector<training::Node>& nodes,
                                                const std::vector<std::string>& names);

}  // namespace flatland::app
