// The attacks' names and the parsing of attack and radius lists, free of LibTorch so the
// settings tables can check them.
#pragma once

#include <string>
#include <vector>

namespace flatland::training {

enum class AttackKind { Fgsm, PgdLinf, PgdL2 };

// The units of radii and noise levels (input_space.h): the data's own or [0, 1] pixels.
enum class InputUnits { Data, Pixel };
// "data", "pixel", indexed by InputUnits.
const std::vector<std::string>& inputUnitNames();
InputUnits parseInputUnits(const std::string& name);  // throws InvalidArgument
const char* toString(InputUnits units);

// "fgsm", "pgd" (ℓ∞), "pgd-l2".
const std::vector<std::string>& attackNames();
AttackKind parseAttack(const std::string& name);  // throws InvalidArgument
std::string attackName(AttackKind kind);
std::string attackNorm(AttackKind kind);  // "linf" or "l2"
// "fgsm,pgd" → the attacks, each once, in the given order; throws InvalidArgument.
std::vector<AttackKind> parseAttackList(const std::string& text);
// "0.05,0.1" → positive radii; throws InvalidArgument.
std::vector<double> parsePositiveList(const std::string& text, const std::string& what);

}  // namespace flatland::training
