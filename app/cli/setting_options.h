// The options of a subcommand made from a settings table (flatland/training/settings.h): one
// option per setting, with its help, default, range or choices and a check that names the
// problem ("--batch-size: 0 is out of range: 1 to 1048576 samples").
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>

#include "flatland/training/settings.h"

namespace flatland::cli {

// Throws InvalidArgument("--flag: what is wrong") when `text` is not a valid value of `setting`.
// (Checked when the command runs rather than by CLI11, so that a bad value exits with status 1
// like every other bad input.)
void check(const settings::Setting& setting, const std::string& text);

// Adds one option per CLI setting to a subcommand; what the user typed is kept as text until
// the command runs.
class SettingOptionsBase {
 public:
  // Registers `setting` on `command`.
  void add(CLI::App* command, const settings::Setting& setting);
  // The text given for `key` on the command line, if it was given.
  // (A flag gives "true".)
  const std::string* given(const std::string& key) const;

 protected:
  // Tells the user on stderr that an option they gave is not read with the value given (or the
  // default) of the setting it depends on (--rho with --optimizer sgd), so a forgotten method
  // does not pass unnoticed.
  static void noteIfNotRead(const settings::Setting& setting, const std::string& controlFlag,
                            const std::string& controlValue);

 private:
  CLI::App* m_command = nullptr;
  std::map<std::string, std::string> m_text;
  std::map<std::string, bool> m_flag;
  std::map<std::string, CLI::Option*> m_options;
};

template <class Config>
class SettingOptions : public SettingOptionsBase {
 public:
  SettingOptions(CLI::App* command, const settings::SettingsTable<Config>& table) : m_table(table) {
    for (const auto& s : table)
      if (s.where & settings::InCli) add(command, s);
  }
  // The table's defaults with the values given on the command line applied in table order.
  // Throws InvalidArgument naming the option for a value out of range or not of its type.
  Config values() const {
    Config config = settings::defaults(m_table);
    for (const auto& s : m_table)
      if (const std::string* text = given(s.key)) {
        check(s, *text);
        s.set(config, *text);
      }
    for (const auto& s : m_table)
      if (s.readWhen && given(s.key))
        if (const auto* control = settings::find(m_table, s.readWhen->key)) {
          const std::string* chosen = given(control->key);
          noteIfNotRead(s, control->flag(), chosen ? *chosen : control->defaultValue);
        }
    return config;
  }

 private:
  const settings::SettingsTable<Config>& m_table;
};

// The first "--word" of the command line that neither the program nor any subcommand knows, or
// "" (CLI11 reports a missing required option before an unknown one; this finds the typo).
std::string unknownOption(const CLI::App& app, int argc, const char* const* argv);

}  // namespace flatland::cli
