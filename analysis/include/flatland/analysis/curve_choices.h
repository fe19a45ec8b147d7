// The curves that connect two minima (Garipov et al. 2018), with the names the CLI, the GUI and
// the project file spell them. Free of LibTorch, so the settings tables can list them.
#pragma once

#include <string>
#include <vector>

namespace flatland::analysis {

// Linear: the straight line (1 − t)·A + t·B. Bezier: the quadratic Bézier curve
// (1 − t)²·A + 2t(1 − t)·θ + t²·B with a trained bend θ. Polychain: two segments A → θ → B.
enum class CurveType { Linear, Bezier, Polychain };
const std::vector<std::string>& curveTypeNames();   // linear, bezier, polychain
CurveType parseCurveType(const std::string& text);  // throws InvalidArgument
std::string toString(CurveType type);

}  // namespace flatland::analysis
