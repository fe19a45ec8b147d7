// The choices of how loss-surface directions are made, as enums with the names the CLI, the GUI
// and the project file spell them. Free of LibTorch, so the settings tables can list them.
#pragma once

#include <string>
#include <vector>

namespace flatland::analysis {

// Where the directions of a surface come from: random (filter-normalised Gaussian), eigen (top
// Hessian eigenvectors), pca (of a run's checkpoints), interp (towards a second model),
// loss-landscape (a direction file of Li et al.'s loss-landscape project, as it wrote them),
// plane (through the two ends and the bend of a mode-connectivity analysis: B − A and θ − A).
enum class DirectionKind { Random, Eigen, Pca, Interp, LossLandscape, Plane };
// How a random direction is scaled against the weights (Li et al., 2018):
// Filter: each slice along dim 0 of a weight (conv output filter, Linear row) gets the norm of
// the matching weight slice; Layer: each tensor gets the norm of its weight tensor; None: as drawn.
enum class DirectionNorm { Filter, Layer, None };
// What happens to 1-D tensors (biases, BatchNorm γ and β):
// Zero: set to 0 (the paper's default "biasbn"); Weight: set to the weight itself (the paper's
// other choice); Normalize: normalised like any other tensor under the chosen norm.
enum class OneDimPolicy { Zero, Weight, Normalize };

// The names, indexed by the enum.
// random, eigen, pca, interp, loss-landscape, plane
const std::vector<std::string>& directionKindNames();
const std::vector<std::string>& directionNormNames();  // filter, layer, none
const std::vector<std::string>& oneDimPolicyNames();   // zero, weight, normalize

// Parse throws InvalidArgument naming the choices.
DirectionKind parseDirectionKind(const std::string& text);
std::string toString(DirectionKind kind);
DirectionNorm parseDirectionNorm(const std::string& text);
std::string toString(DirectionNorm norm);
OneDimPolicy parseOneDimPolicy(const std::string& text);
std::string toString(OneDimPolicy policy);

}  // namespace flatland::analysis
