// The views of a robustness analysis (kind = "robustness", docs/project-file.md) and of several
// side by side. Part of flatland_figures; free of LibTorch.
#pragma once

#include <string>
#include <vector>

#include "project_figures.h"

namespace flatland::app {

// Robust accuracy against ε per attack (clean accuracy as a dashed line), per class at the
// largest ε, the input-curvature histogram per class, corruption accuracy by severity, and the
// input-space loss around the chosen sample; each only when the analysis holds it.
std::vector<NamedFigure> robustnessFigures(const training::Node& node, const std::string& name);

// Robust accuracy curves of every analysis overlaid, and their corruption accuracies as bars.
std::vector<NamedFigure> robustnessComparison(const std::vector<training::Node>& nodes,
                                              const std::vector<std::string>& names);

}  // namespace flatland::app
