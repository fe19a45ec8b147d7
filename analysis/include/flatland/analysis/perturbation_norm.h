// The balls of worst-case weight perturbations, ℓ2 or ℓ∞, and their names. Free of LibTorch, so
// the settings tables can list the choices.
#pragma once

#include <string>
#include <vector>

namespace flatland::analysis {

enum class PerturbationNorm { L2, Linf };
const std::vector<std::string>& perturbationNormNames();          // l2, linf
PerturbationNorm parsePerturbationNorm(const std::string& text);  // throws InvalidArgument
const char* toString(PerturbationNorm norm);

}  // namespace flatland::analysis
