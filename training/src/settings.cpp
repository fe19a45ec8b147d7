#include "flatland/training/settings.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "flatland/errors.h"

namespace flatland::settings {

namespace {

std::string flagOf(const std::string& key) {
  std::string flag = "--" + key;
  for (auto& c : flag)
    if (c == '_') c = '-';
  return flag;
}

// Whole numbers below a billion in full (1048576, not 1.04858e+06), others as %g.
std::string number(double value) {
  char text[32];
  if (value == std::floor(value) && std::fabs(value) < 1e9)
    std::snprintf(text, sizeof text, "%.0f", value);
  else
    std::snprintf(text, sizeof text, "%g", value);
  return text;
}

bool readInteger(const std::string& text, long long& value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && end == text.c_str() + text.size();
}

bool readReal(const std::string& text, double& value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(value);
}

std::vector<std::string> splitCommas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    parts.push_back(item.substr(first, item.find_last_not_of(" \t") - first + 1));
  }
  return parts;
}

// A choice spelt "cuda:N" accepts "cuda:0", "cuda:1", …
bool matchesChoice(const std::string& choice, const std::string& text) {
  if (choice == text) return true;
  if (choice.size() < 2 || choice.compare(choice.size() - 2, 2, ":N") != 0) return false;
  const std::string prefix = choice.substr(0, choice.size() - 1);
  if (text.compare(0, prefix.size(), prefix) != 0 || text.size() == prefix.size()) return false;
  return text.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string readWhenText(const Setting::Condition& condition) {
  return "read only with " + flagOf(condition.key) + " " + join(condition.values, "|");
}

}  // namespace

std::string Setting::flag() const { return flagOf(key); }

std::string Setting::rangeText() const {
  if (type != Type::Integer && type != Type::Real && type != Type::IntegerList) return {};
  const std::string units = unit.empty() ? "" : " " + unit;
  if (minExclusive) return "above " + number(min) + " and at most " + number(max) + units;
  return number(min) + " to " + number(max) + units;
}

std::string Setting::describe() const {
  std::string text = help;
  if (type == Type::Choice) {
    text += " (" + join(choices, ", ") + ")";
  } else if (!rangeText().empty()) {
    text += " [" + rangeText() + "]";
  }
  if (readWhen) text += "; " + readWhenText(*readWhen);
  return text;
}

bool Setting::Condition::holds(const std::string& value) const {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string Setting::problem(const std::string& text) const {
  const std::string quoted = "'" + text + "'";
  auto outOfRange = [&](double value) -> std::string {
    if (minExclusive ? value > min : value >= min)
      if (value <= max) return {};
    return text + " is out of range: " + rangeText();
  };
  switch (type) {
    case Type::Integer: {
      long long value = 0;
      if (!readInteger(text, value)) {
        double real = 0;
        if (readReal(text, real))
          return outOfRange(real).empty() ? quoted + " is not a whole number" : outOfRange(real);
        return quoted + " is not a whole number (" + rangeText() + ")";
      }
      if (auto p = outOfRange(double(value)); !p.empty()) return p;
      break;
    }
    case Type::Real: {
      double value = 0;
      if (!readReal(text, value)) {
        // strtod reads 1e999 as infinity: that is out of range, not a non-number.
        char* end = nullptr;
        const double huge = std::strtod(text.c_str(), &end);
        if (!text.empty() && end == text.c_str() + text.size() && std::isinf(huge))
          return text + " is out of range: " + rangeText();
        return quoted + " is not a number (" + rangeText() + ")";
      }
      if (auto p = outOfRange(value); !p.empty()) return p;
      break;
    }
    case Type::Flag:
      if (text != "true" && text != "false" && text != "1" && text != "0")
        return quoted + " is not true or false";
      break;
    case Type::Choice: {
      bool known = text.empty() && defaultValue.empty();
      for (const auto& choice : choices) known |= matchesChoice(choice, text);
      if (!known) return quoted + " is not one of " + join(choices, ", ");
      break;
    }
    case Type::IntegerList:
      for (const auto& part : splitCommas(text)) {
        long long value = 0;
        if (!readInteger(part, value))
          return quoted + " is not a comma-separated list of whole numbers (e.g. 16,64,256)";
        if (auto p = outOfRange(double(value)); !p.empty())
          return part + " is out of range: " + rangeText();
      }
      break;
    case Type::Text:
      break;
  }
  return check ? check(text) : std::string();
}

nlohmann::json Setting::toJson(const std::string& text) const {
  switch (type) {
    case Type::Integer: {
      long long value = 0;
      readInteger(text, value);
      return int64_t(value);
    }
    case Type::Real: {
      double value = 0;
      readReal(text, value);
      return value;
    }
    case Type::Flag:
      return text == "true" || text == "1";
    case Type::IntegerList: {
      std::vector<int64_t> values;
      parse(text, values);
      return values;
    }
    case Type::Choice:
    case Type::Text:
      break;
  }
  return text;
}

size_t choiceIndex(const std::vector<std::string>& choices, const std::string& text) {
  for (size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == text) return i;
  throw InvalidArgument("'" + text + "' is not one of " + join(choices, ", "));
}

std::string format(int64_t value) { return std::to_string(value); }
std::string format(int value) { return std::to_string(value); }
std::string format(uint64_t value) { return std::to_string(value); }
std::string format(double value) {
  // The shortest text that reads back as the same double.
  char text[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}
std::string format(bool value) { return value ? "true" : "false"; }
std::string format(const std::string& value) { return value; }
std::string format(const std::vector<int64_t>& values) {
  std::string text;
  for (auto v : values) text += (text.empty() ? "" : ",") + std::to_string(v);
  return text;
}

void parse(const std::string& text, int64_t& value) {
  long long v = 0;
  if (!readInteger(text, v)) throw InvalidArgument("'" + text + "' is not a whole number");
  value = v;
}
void parse(const std::string& text, int& value) {
  int64_t v = 0;
  parse(text, v);
  value = int(v);
}
void parse(const std::string& text, uint64_t& value) {
  int64_t v = 0;
  parse(text, v);
  if (v < 0) throw InvalidArgument("'" + text + "' is negative");
  value = uint64_t(v);
}
void parse(const std::string& text, double& value) {
  if (!readReal(text, value)) throw InvalidArgument("'" + text + "' is not a number");
}
void parse(const std::string& text, bool& value) { value = text == "true" || text == "1"; }
void parse(const std::string& text, std::string& value) { value = text; }
void parse(const std::string& text, std::vector<int64_t>& values) {
  values.clear();
  for (const auto& part : splitCommas(text)) {
    int64_t v = 0;
    parse(part, v);
    values.push_back(v);
  }
}

namespace {

// A table cell: '|' would end the cell.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string markdown(const std::vector<Setting>& table) {
  std::string out =
      "| Option | Type | Default | Range or choices | Meaning |\n|---|---|---|---|---|\n";
  const char* types[] = {"integer", "real", "flag", "choice", "text", "list of integers"};
  for (const auto& s : table) {
    std::string range = s.type == Type::Choice ? join(s.choices, ", ") : s.rangeText();
    std::string where;
    if (s.readWhen) where = " (" + readWhenText(*s.readWhen) + ")";
    if (!(s.where & InGui)) where += " (CLI only)";
    out += "| `" + s.flag() + "` | " + types[int(s.type)] + " | " +
           (s.defaultValue.empty() ? "" : "`" + s.defaultValue + "`") + " | " + cell(range) +
           " | " + cell(s.help) + where + (s.required ? " (required)" : "") + " |\n";
  }
  return out;
}

}  // namespace flatland::settings
