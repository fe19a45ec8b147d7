// Writes a stored surface for other tools: the loss-landscape project's HDF5 layout (Li et al.'s
// plotting scripts read it) and a VTK XML structured grid (.vts) for ParaView. No VTK needed.
#pragma once

#include <string>

#include "flatland/training/project_file.h"

namespace flatland::analysis {

// A stand-alone HDF5 file with xcoordinates, ycoordinates (2-D, 3-D), zcoordinates (3-D),
// train_loss, train_acc, test_loss, test_acc (those present). As in the loss-landscape project,
// arrays are indexed [x, y] ([x, y, z]) — the transpose of Flatland's [y, x] — and accuracies
// are percentages (0 … 100). Points not computed are NaN; the mask is written as `done`.
// Throws ProjectError.
void exportLossLandscape(const training::ProjectFile& project, const std::string& analysisPath,
                         const std::string& outFile);

// An ASCII VTK XML StructuredGrid: points (x, y, 0) for 2-D grids ((x, y, z) for 3-D, (x, 0, 0)
// for 1-D) with the loss and accuracy arrays as point data (NaN where not computed); in ParaView
// "Warp By Scalar" on train_loss turns a 2-D grid into the landscape. Throws ProjectError.
void exportVts(const training::ProjectFile& project, const std::string& analysisPath,
               const std::string& outFile);

}  // namespace flatland::analysis
