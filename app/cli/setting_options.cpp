#include "setting_options.h"

#include <iostream>

#include "flatland/errors.h"

namespace flatland::cli {

void check(const settings::Setting& setting, const std::string& text) {
  if (auto problem = setting.problem(text); !problem.empty())
    throw InvalidArgument(setting.flag() + ": " + problem);
}

void SettingOptionsBase::add(CLI::App* command, const settings::Setting& s) {
  m_command = command;
  CLI::Option* option = nullptr;
  if (s.type == settings::Type::Flag) {
    option = command->add_flag(s.flag(), m_flag[s.key], s.describe());
  } else {
    option = command->add_option(s.flag(), m_text[s.key], s.describe());
    if (!s.defaultValue.empty()) option->default_str(s.defaultValue);
    switch (s.type) {
      case settings::Type::Integer:
        option->type_name("INT");
        break;
      case settings::Type::Real:
        option->type_name("FLOAT");
        break;
      case settings::Type::IntegerList:
        option->type_name("INT,…");
        break;
      case settings::Type::Choice:
        option->type_name("CHOICE");
        break;
      default:
        option->type_name("TEXT");
        break;
    }
  }
  if (s.required) option->required();
  m_options[s.key] = option;
}

void SettingOptionsBase::noteIfNotRead(const settings::Setting& setting,
                                       const std::string& controlFlag,
                                       const std::string& controlValue) {
  if (setting.readWhen->holds(controlValue)) return;
  std::string values;
  for (const auto& v : setting.readWhen->values) values += (values.empty() ? "" : "|") + v;
  std::cerr << "note: " << setting.flag() << " is not read "
            << (controlValue.empty() ? "without " + controlFlag
                                     : "with " + controlFlag + " " + controlValue)
            << " (only with " << controlFlag << " " << values << ")\n";
}

const std::string* SettingOptionsBase::given(const std::string& key) const {
  auto option = m_options.find(key);
  if (option == m_options.end() || option->second->count() == 0) return nullptr;
  if (auto flag = m_flag.find(key); flag != m_flag.end()) {
    static const std::string yes = "true", no = "false";
    return flag->second ? &yes : &no;
  }
  return &m_text.at(key);
}

std::string unknownOption(const CLI::App& app, int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") break;
    if (word.size() < 3 || word.compare(0, 2, "--") != 0) continue;
    word = word.substr(0, word.find('='));
    bool known = app.get_option_no_throw(word) != nullptr;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      known = known || sub->get_option_no_throw(word) != nullptr;
    if (!known) return word;
  }
  return {};
}

}  // namespace flatland::cli
