// How a loss surface is stored while it is filled: the in-memory state, its first write, its
// block commits and reading it back (the layout of docs/project-file.md). Private to analysis/.
#pragma once

#include <string>
#include <vector>

#include "flatland/analysis/loss_surface.h"

namespace flatland::analysis {

// The in-memory copy of a surface while it is being filled has the fields of a result.
using SurfaceState = SurfaceResult;

// The lowest loss among the done points (train loss, else test loss); NaN when none is done.
double lossMinOf(const SurfaceState& st);
// Writes the values, the done mask and the progress attributes of `st` in one transaction.
void commitState(const training::ProjectFile& project, const SurfaceState& st, bool complete);
// The state as a result: complete flag and minimum filled in.
SurfaceResult resultOf(const SurfaceState& st, bool complete);
// Creates st.analysisPath: provenance and settings, directions, coordinates, empty values.
void writeNewSurface(const training::ProjectFile& project, const SurfaceState& st,
                     const training::Model& origin, const DirectionSet& used,
                     const training::Dataset* train, const training::Dataset* test,
                     const SurfaceSettings& settings);
// A stored surface, ready to be filled further: values, done mask and directions; train or test
// is set to null when the surface has no values for it.
SurfaceState loadStoredState(const training::ProjectFile& project, const std::string& analysisPath,
                             training::Model& origin, const training::Dataset*& train,
                             const training::Dataset*& test, DirectionSet& directions);

}  // namespace flatland::analysis
