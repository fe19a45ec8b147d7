// The input space the robustness analyses measure in. It lives in the training library (robust
// training crafts attacks too); these names keep the analyses' spelling.
#pragma once

#include "flatland/training/input_space.h"

namespace flatland::analysis {

using training::InputSpace;
using training::inputUnitNames;
using training::InputUnits;
using training::parseInputUnits;

}  // namespace flatland::analysis
