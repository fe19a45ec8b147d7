// Files of the loss-landscape project (Li et al. 2018, github.com/tomgoldstein/loss-landscape):
// its direction files, read onto a model so a surface is computed along the same vectors, and its
// surface files, imported as surface analyses. exportLossLandscape (surface_export.h) writes the
// surface layout back.
#pragma once

#include <string>

#include "flatland/analysis/direction.h"
#include "flatland/training/model.h"
#include "flatland/training/project_file.h"

namespace flatland::analysis {

// Reads xdirection/ (and ydirection/ for a 2-D plot): groups of datasets "0", "1", … as its
// net_plotter.setup_direction writes them. With --dir_type weights there is one array per
// parameter in model order; with states one per state_dict entry, parameters and buffers (BatchNorm
// running statistics move too; integer counters are skipped). The type is told from the count
// and every shape is checked. The directions are taken as they are (normalised when the project
// made them). Throws ProjectError for a file that is not such a direction file, ModelError when
// it does not fit the model (naming the first entry that differs).
DirectionSet readLossLandscapeDirections(const std::string& file, const training::Model& model);

// Writes `directions` in that layout with --dir_type weights (one array per parameter): what
// net_plotter.load_directions reads. Throws ProjectError.
void writeLossLandscapeDirections(const std::string& file, const DirectionSet& directions,
                                  const training::Model& model);

// A surface file of the project (xcoordinates, ycoordinates, train_loss, train_acc, test_loss,
// test_acc; arrays indexed [x, y], accuracy in percent) as a surface analysis node (kind =
// "surface", Flatland's [y, x] order, accuracy as a fraction; NaN entries are not done). The
// coordinates must be evenly spaced (np.linspace, as its plot_surface.py makes them). Throws
// ProjectError naming what is missing or malformed.
training::Node importLossLandscapeSurface(const std::string& file);

}  // namespace flatland::analysis
