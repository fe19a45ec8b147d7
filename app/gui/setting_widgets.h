// Form widgets made from the settings tables (flatland/training/settings.h): each setting gets the
// widget of its type with its range or choices, its start value, its help as tooltip and its key
// as objectName, so the forms, the CLI and the stored settings share one definition.
#pragma once

#include <QFormLayout>
#include <QString>
#include <QWidget>

#include "flatland/training/settings.h"

namespace flatland::app {

// A spin box, check box, combo box or line edit for `setting`, at its GUI start value.
QWidget* createSettingWidget(const settings::Setting& setting);
// Throws InvalidArgument naming `key`: a form asked for a setting its table does not have.
[[noreturn]] void throwUnknownSetting(const std::string& key);

// The widget of setting `key` of `table`, as the editor type W the form uses.
template <class W, class Config>
W* createSettingWidget(const settings::SettingsTable<Config>& table, const std::string& key) {
  const auto* setting = settings::find(table, key);
  if (!setting) throwUnknownSetting(key);
  return static_cast<W*>(createSettingWidget(*setting));
}

// Names a widget made elsewhere (an editable combo, say) after `setting` and gives it the tooltip.
void describeWidget(QWidget* widget, const settings::Setting& setting);
// Whether `widget` is an editor settingText() reads (spin box, check box, combo box, line edit).
bool holdsSettingValue(const QWidget* widget);
// The value a setting widget holds, as the CLI spells it.
QString settingText(const QWidget* widget);
// Puts a value written by settingText back into its widget (a choice the widget does not offer
// is left as it is).
void setSettingText(QWidget* widget, const QString& text);
// The widget of `key` under `root`, or nullptr.
QWidget* settingWidget(const QWidget* root, const std::string& key);

// "Label: what is wrong" for the first enabled widget under `root` whose value `setting` refuses.
QString settingProblem(const QWidget* root, const settings::Setting& setting);

// Reads every enabled setting widget under `root` into `config`, in table order, over the
// table's defaults for the settings without a widget.
template <class Config>
Config readSettings(const QWidget* root, const settings::SettingsTable<Config>& table) {
  Config config = settings::defaults(table);
  for (const auto& s : table) {
    const QWidget* w = (s.where & settings::InGui) ? settingWidget(root, s.key) : nullptr;
    if (w && w->isEnabled() && holdsSettingValue(w)) s.set(config, settingText(w).toStdString());
  }
  return config;
}

// The first problem of any setting widget under `root`, or "".
template <class Config>
QString settingsProblem(const QWidget* root, const settings::SettingsTable<Config>& table) {
  for (const auto& s : table)
    if (auto p = settingProblem(root, s); !p.isEmpty()) return p;
  return {};
}

// Greys out each widget under `root` whose setting is read only with certain values of another
// setting (Setting::readWhen: --rho only with the SAM family), and keeps that up to date as that
// setting's combo box changes.
void enableByReadConditions(QWidget* root, const std::vector<const settings::Setting*>& table);
template <class Config>
void enableByReadConditions(QWidget* root, const settings::SettingsTable<Config>& table) {
  std::vector<const settings::Setting*> settings;
  for (const auto& s : table) settings.push_back(&s);
  enableByReadConditions(root, settings);
}

// Adds a labelled row to `form` for every GUI setting of `table` that has no widget under `root`
// yet: a setting added to a table shows up in its form without further code.
template <class Config>
void addRemainingRows(QWidget* root, QFormLayout* form,
                      const settings::SettingsTable<Config>& table) {
  for (const auto& s : table) {
    if (!(s.where & settings::InGui) || settingWidget(root, s.key)) continue;
    auto* w = createSettingWidget(s);
    if (s.type == settings::Type::Flag)
      form->addRow(w);
    else
      form->addRow(QString::fromStdString(s.label.empty() ? s.key : s.label), w);
  }
}

}  // namespace flatland::app
