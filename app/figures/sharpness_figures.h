// The views of a sharpness analysis (kind = "sharpness", docs/project-file.md) and of several
// side by side. Part of flatland_figures; free of LibTorch.
#pragma once

#include <string>
#include <vector>

#include "project_figures.h"

namespace flatland::app {

// Loss increase and accuracy against the radius ρ (worst case and random directions), and the
// average-case increase against σ; each only when the analysis holds it.
std::vector<NamedFigure> sharpnessFigures(const training::Node& node, const std::string& name);

// A generalisation table (kind = "generalization"): every measure's Kendall τ with the gaps as
// bars, and each measure (scaled to [0, 1] across the models) against the accuracy gap.
std::vector<NamedFigure> generalizationFigures(const training::Node& node, const std::string& name);

// The worst-case and random-direction profiles of every analysis overlaid.
std::vector<NamedFigure> sharpnessComparison(const std::vector<training::Node>& nodes,
                                             const std::vector<std::string>& names);

}  // namespace flatland::app
