// One typed definition per user-facing setting: its name, type, default, range or choices and
// help. The CLI's options, the GUI's form widgets, the settings JSON stored with each result and
// docs/settings.md are all made from these tables, so a new option is added in one place.
// Free of LibTorch and Qt.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace flatland::settings {

enum class Type { Integer, Real, Flag, Choice, Text, IntegerList };

// Where a setting shows up. Every setting is an option of its CLI subcommand; most are also a
// widget of the GUI form and a key of the stored settings.
enum Where : unsigned { InCli = 1, InGui = 2, Stored = 4, Everywhere = InCli | InGui | Stored };

struct Setting {
  Setting() = default;
  Setting(std::string key_, Type type_, std::string defaultValue_, double min_, double max_,
          bool minExclusive_, std::string unit_, std::vector<std::string> choices_,
          std::string help_, std::string label_ = {}, std::string guiDefault_ = {})
      : key(std::move(key_)),
        type(type_),
        defaultValue(std::move(defaultValue_)),
        min(min_),
        max(max_),
        minExclusive(minExclusive_),
        unit(std::move(unit_)),
        choices(std::move(choices_)),
        help(std::move(help_)),
        label(std::move(label_)),
        guiDefault(std::move(guiDefault_)) {}

  // The key in the stored settings JSON and the objectName of the GUI widget; the CLI option is
  // "--" + key with '_' spelt '-' (flag()).
  std::string key;
  Type type = Type::Text;
  std::string defaultValue;  // as typed on the command line; empty: none
  double min = 0, max = 0;   // Integer and Real: the allowed range (inclusive unless minExclusive)
  bool minExclusive = false;
  std::string unit;                  // of the range, in words ("samples", "epochs", "bits")
  std::vector<std::string> choices;  // Choice: every accepted spelling, the default first or not
  std::string help;
  std::string label;       // the GUI's row label
  std::string guiDefault;  // where the GUI starts elsewhere than the CLI (why: in the table)
  int decimals = 4;        // Real: digits the GUI shows
  unsigned where = Everywhere;
  bool required = false;  // the CLI refuses to run without it
  // A check beyond type and range (a grid's syntax, a list of bit widths): "" or the problem.
  std::function<std::string(const std::string&)> check;
  // Read only while the Choice setting `key` has one of `values` (--rho only by the SAM family):
  // the GUI greys the widget out otherwise, and the help says when it applies.
  struct Condition {
    std::string key;
    std::vector<std::string> values;
    bool holds(const std::string& value) const;
  };
  std::optional<Condition> readWhen;

  std::string flag() const;
  // "1 to 1048576 samples", "above 0 and at most 1e+06"; empty for types without a range.
  std::string rangeText() const;
  // The help, the choices or range and when it is read: for --help, tooltips and the docs.
  std::string describe() const;
  // Empty when `text` is a valid value; otherwise what is wrong, naming the range or the choices.
  std::string problem(const std::string& text) const;
  // The value typed for this setting as JSON of its type (number, bool, string or array).
  nlohmann::json toJson(const std::string& text) const;
  const std::string& startValue() const { return guiDefault.empty() ? defaultValue : guiDefault; }
};

// A setting with the field of a settings struct it reads and writes, as text.
template <class Config>
struct BoundSetting : Setting {
  std::function<std::string(const Config&)> get;
  std::function<void(Config&, const std::string&)> set;  // text already passed problem()
};

template <class Config>
using SettingsTable = std::vector<BoundSetting<Config>>;

// Value ↔ text, the way the CLI spells them (shortest text that reads back the same number).
std::string format(int64_t value);
std::string format(int value);
std::string format(uint64_t value);
std::string format(double value);
std::string format(bool value);
std::string format(const std::string& value);
std::string format(const std::vector<int64_t>& values);  // "30,60"
void parse(const std::string& text, int64_t& value);
void parse(const std::string& text, int& value);
void parse(const std::string& text, uint64_t& value);
void parse(const std::string& text, double& value);
void parse(const std::string& text, bool& value);
void parse(const std::string& text, std::string& value);
void parse(const std::string& text, std::vector<int64_t>& values);

// A setting bound to the field `access(config)` returns (a lambda taking `auto&`).
template <class Config, class Access>
BoundSetting<Config> bind(Setting setting, Access access) {
  BoundSetting<Config> bound;
  static_cast<Setting&>(bound) = std::move(setting);
  bound.get = [access](const Config& c) { return format(access(c)); };
  bound.set = [access](Config& c, const std::string& text) { parse(text, access(c)); };
  return bound;
}

// The position of `text` among a Choice setting's choices; throws InvalidArgument naming them.
size_t choiceIndex(const std::vector<std::string>& choices, const std::string& text);

namespace detail {
template <class T>
inline constexpr bool isOptional = false;
template <class T>
inline constexpr bool isOptional<std::optional<T>> = true;
}  // namespace detail

// A Choice setting whose field is an enum indexing the setting's choices, so the job compares
// enums, not text. A std::optional<Enum> field holds "" (no choice: the job decides from the
// context) as std::nullopt.
template <class Config, class Access>
BoundSetting<Config> bindChoice(Setting setting, Access access) {
  BoundSetting<Config> bound;
  static_cast<Setting&>(bound) = std::move(setting);
  const std::vector<std::string> names = bound.choices;
  bound.get = [access, names](const Config& c) -> std::string {
    const auto& value = access(c);
    if constexpr (detail::isOptional<std::decay_t<decltype(value)>>)
      return value ? names.at(size_t(*value)) : std::string();
    else
      return names.at(size_t(value));
  };
  bound.set = [access, names](Config& c, const std::string& text) {
    auto& value = access(c);
    using Field = std::decay_t<decltype(value)>;
    if constexpr (detail::isOptional<Field>) {
      if (text.empty())
        value.reset();
      else
        value = typename Field::value_type(choiceIndex(names, text));
    } else {
      value = Field(choiceIndex(names, text));
    }
  };
  return bound;
}

template <class Config>
const BoundSetting<Config>* find(const SettingsTable<Config>& table, const std::string& key) {
  for (const auto& s : table)
    if (s.key == key) return &s;
  return nullptr;
}

// A config with every setting at the table's default.
template <class Config>
Config defaults(const SettingsTable<Config>& table) {
  Config config;
  for (const auto& s : table)
    if (!s.defaultValue.empty() || s.type == Type::Text || s.type == Type::IntegerList)
      s.set(config, s.defaultValue);
  return config;
}

// The stored settings: every Stored setting's value, typed.
template <class Config>
void addStored(const SettingsTable<Config>& table, const Config& config, nlohmann::json& out);

// A Markdown table of the settings (docs/settings.md is made of these).
std::string markdown(const std::vector<Setting>& table);
template <class Config>
std::string markdown(const SettingsTable<Config>& table) {
  return markdown(std::vector<Setting>(table.begin(), table.end()));
}

}  // namespace flatland::settings

#include <nlohmann/json.hpp>

template <class Config>
void flatland::settings::addStored(const SettingsTable<Config>& table, const Config& config,
                                   nlohmann::json& out) {
  for (const auto& s : table)
    if (s.where & Stored) out[s.key] = s.toJson(s.get(config));
}
