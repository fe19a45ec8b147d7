#include "flatland/analysis/pca_directions.h"

#include <torch/types.h>

#include "flatland/errors.h"
#include "flatland/training/checkpoint.h"
#include "flatland/training/project_schema.h"

namespace flatland::analysis {

Trajectory loadTrajectory(const training::ProjectFile& project, const std::string& run,
                          const training::Model& like) {
  if (!project.exists(schema::runPath(run)))
    throw ProjectError(project.path() + " has no run named '" + run + "'");
  Trajectory trajectory;
  trajectory.epochs = training::checkpointEpochs(project, run);
  if (trajectory.epochs.size() < 2)
    throw InvalidArgument(
        "run '" + run + "' has " + std::to_string(trajectory.epochs.size()) +
        " checkpoint(s); PCA directions need at least 3 (train with checkpoints every epoch)");
  auto model = like.clone();
  std::vector<at::Tensor> rows;
  for (int64_t epoch : trajectory.epochs) {
    auto node = project.read(training::checkpointPath(run, epoch));
    training::loadCheckpoint(*model, node);
    rows.push_back(model->flatParameters().to(torch::kCPU, torch::kDouble));
    if (!torch::isfinite(rows.back()).all().item<bool>())
      throw NumericalError("checkpoint epoch " + std::to_string(epoch) + " of run '" + run +
                           "' in " + project.path() +
                           " has NaN or infinite weights: PCA directions need finite checkpoints "
                           "(train the run again with a smaller learning rate)");
  }
  trajectory.points = torch::stack(rows);
  return trajectory;
}

DirectionSet pcaDirections(const Trajectory& trajectory, const training::Model& model, int count,
                           bool zeroOneDim) {
  torch::NoGradGuard noGrad;
  if (count < 1 || count > 3) throw InvalidArgument("PCA gives 1 to 3 directions");
  const auto& points = trajectory.points;
  const int64_t t = points.size(0);
  if (points.dim() != 2 || points.size(1) != model.parameterCount())
    throw InvalidArgument("the trajectory's points do not fit " + model.source());
  if (t - 1 < count)
    throw InvalidArgument("PCA of " + std::to_string(t) + " checkpoints gives at most " +
                          std::to_string(t - 1) + " directions, " + std::to_string(count) +
                          " asked");
  // The mask: 0 on entries of 1-D tensors (biases, BatchNorm γ/β), as the paper's "biasbn".
  auto mask = torch::ones({points.size(1)}, torch::kDouble);
  if (zeroOneDim) {
    auto pieces = model.unflatten(mask);
    for (auto& piece : pieces)
      if (piece.dim() <= 1) piece.zero_();
  }
  if (!torch::isfinite(points).all().item<bool>())
    throw NumericalError(
        "the trajectory has NaN or infinite weights: PCA directions need finite checkpoints");
  auto diffs = (points - points[t - 1]) * mask;     // θ_i − θ_final, [T, P]
  auto centred = diffs - diffs.mean(0, true);       // sklearn's PCA centres the samples
  auto gram = torch::matmul(centred, centred.t());  // [T, T]: cheap when T ≪ P
  auto [values, vectors] = at::linalg_eigh(gram);   // ascending
  const double total = values.clamp_min(0).sum().item<double>();
  if (!(total > 0))
    throw InvalidArgument(
        "the checkpoints of the run are identical (after zeroing 1-D tensors): "
        "no direction to find");
  DirectionSet set;
  set.kind = DirectionKind::Pca;
  set.norm = DirectionNorm::None;
  set.trajectoryEpochs = trajectory.epochs;
  std::vector<at::Tensor> components;
  for (int k = 0; k < count; ++k) {
    const int64_t column = t - 1 - k;
    const double lambda = values[column].item<double>();
    if (!(lambda > 1e-12 * total))
      throw InvalidArgument("the trajectory spans fewer than " + std::to_string(count) +
                            " dimensions; use a grid with fewer axes");
    auto u = torch::matmul(centred.t(), vectors.select(1, column)) / std::sqrt(lambda);
    // A fixed sign: the entry of largest magnitude is positive (as sklearn's svd_flip).
    if (u[u.abs().argmax()].item<double>() < 0) u = -u;
    components.push_back(u);
    set.explainedVariance.push_back(lambda / total);
    set.directions.push_back({u.to(torch::kFloat).contiguous(), {}});
  }
  // Least-squares coordinates of each θ_i − θ_final in the span of the components.
  auto basis = torch::stack(components, 1);                         // [P, k]
  auto normal = torch::matmul(basis.t(), basis);                    // [k, k]
  auto rhs = torch::matmul(basis.t(), diffs.t());                   // [k, T]
  set.trajectory = at::linalg_solve(normal, rhs).t().contiguous();  // [T, k]
  return set;
}

}  // namespace flatland::analysis
