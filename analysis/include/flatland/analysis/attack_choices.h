// The attacks' names and the parsing of attack and radius lists. They live in the training
// library (robust training crafts attacks too); these names keep the analyses' spelling.
#pragma once

#include "flatland/training/attack_choices.h"

namespace flatland::analysis {

using training::AttackKind;
using training::attackName;
using training::attackNames;
using training::attackNorm;
using training::parseAttack;
using training::parseAttackList;
using training::parsePositiveList;

}  // namespace flatland::analysis
