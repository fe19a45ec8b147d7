// Which figures show a run or an analysis of a project file, built from its stored arrays.
// Shared by the GUI and `flatland-cli render`. Free of LibTorch.
#pragma once

#include <string>
#include <vector>

#include "flatland/render/figures.h"
#include "flatland/training/project_file.h"

namespace flatland::app {

struct NamedFigure {
  std::string name;  // short, file-name safe: "surface", "density", "per-class-bars", ...
  render::Figure figure;
};

// A dataset of a node as doubles; empty when the node has no such dataset (views leave it out).
std::vector<double> datasetValues(const training::Node& node, const std::string& name);

// Loss and accuracy against epochs, and per-class accuracy, of /runs/NAME.
std::vector<NamedFigure> figuresForRun(const training::ProjectFile& project,
                                       const std::string& run);

// The views of /analyses/NAME by its kind: surface (3-D surface, contour map, or curves for 1-D,
// volume for 3-D), hessian (density, per-class densities and bars, batch sweep), quantize
// (accuracy against bits), robustness (robustness_figures.h), sharpness (sharpness_figures.h),
// connectivity (connectivity_figures.h). Throws ProjectError when the analysis is missing or of
// unknown kind.
std::vector<NamedFigure> figuresForAnalysis(const training::ProjectFile& project,
                                            const std::string& analysis);

// Analyses side by side, each kind with two or more members on its own: 2-D surfaces on one
// colour scale (titled by whether they share directions), 1-D surfaces as overlaid curves,
// densities overlaid with λ_max/trace bars, accuracy-vs-bits curves together. Throws
// InvalidArgument when no kind has two members, or for surfaces of different dimensions.
std::vector<NamedFigure> comparisonFigures(const training::ProjectFile& project,
                                           const std::vector<std::string>& analyses);

// Training runs side by side: test accuracy, and train/test loss, against epochs. Throws
// InvalidArgument for fewer than two runs or a run without metrics.
std::vector<NamedFigure> runComparisonFigures(const training::ProjectFile& project,
                                              const std::vector<std::string>& runs);

// The analyses and runs as CSV (one table per figure's data), for users who plot elsewhere.
std::string figureCsv(const render::Figure& figure);

}  // namespace flatland::app
