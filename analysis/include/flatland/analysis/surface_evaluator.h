// Moving a model to the points θ + x·d0 + y·d1 + z·d2 of a loss surface and evaluating it there.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "flatland/analysis/direction.h"
#include "flatland/training/dataset.h"
#include "flatland/training/model.h"

namespace flatland::analysis {

struct PointValues {
  double loss = 0.0;      // mean cross-entropy
  double accuracy = 0.0;  // fraction in [0, 1]
};

// Moves a model to grid points in place and evaluates it. Each point costs one forward pass
// over the data plus a few vector operations over the parameters: the weights are written in
// place from θ + Σ c_k·d_k (no reallocation), the data sits on the model's device in its dtype,
// and evaluation runs in inference mode. The destructor puts the origin's state back.
class SurfaceEvaluator {
 public:
  SurfaceEvaluator(training::Model& origin, const DirectionSet& directions, int64_t batchSize);
  ~SurfaceEvaluator();
  SurfaceEvaluator(const SurfaceEvaluator&) = delete;
  SurfaceEvaluator& operator=(const SurfaceEvaluator&) = delete;

  // Sets the model to θ + c[0]·d0 + c[1]·d1 + c[2]·d2 (coefficients past the directions ignored).
  void moveTo(const std::array<double, 3>& coefficients);
  // Loss and accuracy of the model as it stands, in eval mode. `data` should come from prepare()
  // (which leaves a streamed set in its file; its batches are converted one at a time).
  PointValues evaluate(const training::Dataset& data) const;
  // Whether evaluateAt takes several points per forward pass (Model::canStackWeights).
  bool stacksPoints() const;
  // Loss and accuracy at each point. A model that stacks weights runs all the points in one
  // forward pass per batch, with their weight sets built from θ and the directions (the model's
  // own weights stay as they are; memory grows with the number of points); other models, and a
  // single point, go through moveTo and evaluate. `betweenBatches` runs before each stacked
  // batch (a cancel check: a chunk of points takes K times a point's time).
  std::vector<PointValues> evaluateAt(const std::vector<std::array<double, 3>>& points,
                                      const training::Dataset& data,
                                      const std::function<void()>& betweenBatches = {});
  // The data moved and cast once to the model's device and dtype.
  training::Dataset prepare(const training::Dataset& data) const;
  // Puts back the origin's parameters and buffers.
  void restoreOrigin();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace flatland::analysis
