#include "flatland/training/attack_choices.h"

#include <cmath>
#include <sstream>

#include "flatland/errors.h"

namespace flatland::training {

const std::vector<std::string>& inputUnitNames() {
  static const std::vector<std::string> names = {"data", "pixel"};
  return names;
}

InputUnits parseInputUnits(const std::string& name) {
  if (name == inputUnitNames()[0]) return InputUnits::Data;
  if (name == inputUnitNames()[1]) return InputUnits::Pixel;
  throw InvalidArgument("input units are data or pixel, got '" + name + "'");
}

const char* toString(InputUnits units) { return inputUnitNames().at(size_t(units)).c_str(); }

const std::vector<std::string>& attackNames() {
  static const std::vector<std::string> names = {"fgsm", "pgd", "pgd-l2"};
  return names;
}

AttackKind parseAttack(const std::string& name) {
  if (name == "fgsm") return AttackKind::Fgsm;
  if (name == "pgd" || name == "pgd-linf") return AttackKind::PgdLinf;
  if (name == "pgd-l2") return AttackKind::PgdL2;
  throw InvalidArgument("unknown attack '" + name + "' (one of: fgsm, pgd, pgd-l2)");
}

std::string attackName(AttackKind kind) {
  switch (kind) {
    case AttackKind::Fgsm:
      return "fgsm";
    case AttackKind::PgdLinf:
      return "pgd";
    case AttackKind::PgdL2:
      return "pgd-l2";
  }
  return "?";
}

std::string attackNorm(AttackKind kind) { return kind == AttackKind::PgdL2 ? "l2" : "linf"; }

std::vector<AttackKind> parseAttackList(const std::string& text) {
  std::vector<AttackKind> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto kind = parseAttack(item);
    for (auto k : out)
      if (k == kind)
        throw InvalidArgument("attack '" + item + "' is listed twice in '" + text + "'");
    out.push_back(kind);
  }
  if (out.empty()) throw InvalidArgument("name at least one attack (fgsm, pgd, pgd-l2)");
  return out;
}

std::vector<double> parsePositiveList(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !std::isfinite(value) || value <= 0)
      throw InvalidArgument(what + " are positive numbers separated by commas (0.05,0.1), got '" +
                            text + "'");
    out.push_back(value);
  }
  if (out.empty()) throw InvalidArgument("give at least one of the " + what + " (0.05,0.1)");
  return out;
}

}  // namespace flatland::training
