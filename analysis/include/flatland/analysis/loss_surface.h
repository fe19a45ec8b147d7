// Loss surfaces: loss and accuracy on a 1-, 2- or 3-D grid of points θ + x·d0 + y·d1 + z·d2,
// written block by block into the project file so an interrupted job resumes where it stopped.
// (The job that chooses directions and grid from a user's settings is app::runSurfaceJob.)
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flatland/analysis/direction.h"
#include "flatland/analysis/grid.h"
#include "flatland/analysis/surface_evaluator.h"
#include "flatland/analysis/worker_group.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"
#include "flatland/training/progress.h"
#include "flatland/training/project_file.h"

namespace flatland::analysis {

struct SurfaceSettings {
  GridSpec grid;
  // Samples per forward pass. On CPUs a few hundred is fastest (activations stay in cache; see
  // docs/performance.md); on GPUs larger batches pay.
  int64_t batchSize = 256;
  // Grid points per forward pass, their weight sets stacked (models that can: zoo networks);
  // activation memory grows with it. 1 moves the model point by point.
  int64_t pointsPerPass = 1;
  // Points per committed block: 0 commits whenever commitSeconds have passed since the last
  // commit (and at the end); > 0 commits every blockPoints points.
  int64_t blockPoints = 0;
  double commitSeconds = 5.0;
  // What made the surface, stored as the analysis attributes.
  std::string name;          // analysis name; empty: surface-<UTC time>
  std::string modelSpec;     // the origin, as the user named it
  std::string dataSpec;      // fills train_loss / train_accuracy
  std::string testDataSpec;  // fills test_loss / test_accuracy
  int64_t samples = -1;
  uint64_t seed = 0;
  std::string device = "cpu";
  std::string settingsJson = "{}";
};

// A surface as stored: the grid, the values ([z, y, x] row-major; NaN where not done) and the mask.
struct SurfaceResult {
  std::string analysisPath;
  GridSpec grid;
  std::vector<double> trainLoss, trainAccuracy, testLoss, testAccuracy;  // empty when no such data
  std::vector<int64_t> done;
  bool complete = false;
  double lossAtOrigin = 0.0;   // on the train data
  double lossMin = 0.0;        // over the done points of train_loss
  int64_t pointsComputed = 0;  // in this call (by every rank, on the root)
  double seconds = 0.0;        // of this call
};

// Creates /analyses/NAME (directions, coordinates, an empty done mask) and evaluates every grid
// point on `train` and, when given, `test`. Throws Cancelled after saving the finished points
// when control's token is cancelled, InvalidArgument when the grid has more axes than
// directions or no data is given.
//
// With a group of several ranks this is the root's part: it deals blocks of points round-robin
// (block b to rank b % N), evaluates its own, merges the points the other ranks send as they
// arrive and does every commit; the other ranks call joinSurface.
SurfaceResult computeSurface(const training::ProjectFile& project, training::Model& origin,
                             const DirectionSet& directions, const training::Dataset* train,
                             const training::Dataset* test, const SurfaceSettings& settings,
                             const JobControl& control = {}, WorkerGroup* group = nullptr);

// Continues a stored, unfinished surface with its own directions and grid; only points whose
// done flag is 0 are evaluated. `origin` and the data must be those the surface was started
// with (the stored model/data specs are the caller's to check). batchSize, blockPoints and
// commitSeconds are taken from `settings`; the rest from the file. With a group: the root's part,
// as for computeSurface.
SurfaceResult resumeSurface(const training::ProjectFile& project, const std::string& analysisPath,
                            training::Model& origin, const training::Dataset* train,
                            const training::Dataset* test, const SurfaceSettings& settings,
                            const JobControl& control = {}, WorkerGroup* group = nullptr);

// A non-root rank's part of the root's computeSurface or resumeSurface: learns the analysis from
// the root, reads its directions from `projectPath` (so every rank moves along the very same
// vectors), evaluates the blocks dealt to it and sends them to the root. Never writes the file.
// `origin` and the data must be the root's. Returns this rank's points only.
SurfaceResult joinSurface(const std::string& projectPath, training::Model& origin,
                          const training::Dataset* train, const training::Dataset* test,
                          const SurfaceSettings& settings, WorkerGroup& group,
                          const JobControl& control = {});

// Reads a stored surface (any state). Throws ProjectError when the analysis is not a surface.
SurfaceResult readSurface(const training::ProjectFile& project, const std::string& analysisPath);

}  // namespace flatland::analysis
