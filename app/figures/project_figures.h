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

// Loss and accuracy against epochs, and per-class accuracy, of /runs/NAME.
std::vector<NamedFigure> figuresForRun(const training::ProjectFile& project, const std::string& run);

// The views of /analyses/NAME by its kind: surface (3-D surface, contour map, or curves for 1-D,
// volume for 3-D), hessian (density, per-class densities and bars, batch sweep), quantize
// (accuracy against bits). Throws ProjectError when the analysis is missing or of unknown kind.
std::vector<NamedFigure> figuresForAnalysis(const training::ProjectFile& project,
                                            const std::string& analysis);

// Several analyses of one kind side by side: surfaces on one colour scale, densities overlaid,
// accuracy-vs-bits curves together. Throws InvalidArgument for mixed kinds or fewer than two.
std::vector<NamedFigure> comparisonFigures(const training::ProjectFile& project,
                                           const std::vector<std::string>& analyses);

// The analyses and runs as CSV (one table per figure's data), for users who plot elsewhere.
std::string figureCsv(const render::Figure& figure);

}  // namespace flatland::app
