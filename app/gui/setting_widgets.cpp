#include "setting_widgets.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSpinBox>

#include <climits>
#include <cmath>

#include "flatland/errors.h"

namespace flatland::app {

namespace {

using settings::Type;

int clampToInt(double value) {
  return int(std::max<double>(INT_MIN, std::min<double>(INT_MAX, value)));
}

}  // namespace

void describeWidget(QWidget* widget, const settings::Setting& s) {
  widget->setObjectName(QString::fromStdString(s.key));
  widget->setToolTip(QString::fromStdString(s.describe()));
}

void enableByReadConditions(QWidget* root, const std::vector<const settings::Setting*>& table) {
  for (const settings::Setting* s : table) {
    if (!s->readWhen) continue;
    QWidget* widget = settingWidget(root, s->key);
    auto* control = qobject_cast<QComboBox*>(settingWidget(root, s->readWhen->key));
    if (!widget || !control) continue;
    auto update = [widget, control, condition = *s->readWhen] {
      widget->setEnabled(condition.holds(control->currentText().toStdString()));
    };
    QObject::connect(control, &QComboBox::currentTextChanged, widget, update);
    update();
  }
}

void throwUnknownSetting(const std::string& key) {
  throw InvalidArgument("no setting '" + key + "' in the form's settings table");
}

QWidget* createSettingWidget(const settings::Setting& s) {
  const QString start = QString::fromStdString(s.startValue());
  QWidget* widget = nullptr;
  switch (s.type) {
    case Type::Integer: {
      auto* spin = new QSpinBox;
      spin->setRange(clampToInt(s.min + (s.minExclusive ? 1 : 0)), clampToInt(s.max));
      widget = spin;
      break;
    }
    case Type::Real: {
      auto* spin = new QDoubleSpinBox;
      const double resolution = std::pow(10.0, -s.decimals);
      spin->setDecimals(s.decimals);
      spin->setRange(s.min + (s.minExclusive ? resolution : 0.0), s.max);
      const double value = start.toDouble();
      spin->setSingleStep(value > 0 ? std::pow(10.0, std::floor(std::log10(value)))
                                    : 10 * resolution);
      widget = spin;
      break;
    }
    case Type::Flag: {
      widget = new QCheckBox(QString::fromStdString(s.label.empty() ? s.key : s.label));
      break;
    }
    case Type::Choice: {
      auto* combo = new QComboBox;
      for (const auto& choice : s.choices)
        if (choice.find(":N") == std::string::npos) combo->addItem(QString::fromStdString(choice));
      widget = combo;
      break;
    }
    case Type::IntegerList:
    case Type::Text: {
      auto* edit = new QLineEdit;
      if (s.type == Type::IntegerList) edit->setPlaceholderText("e.g. 16,64,256 (empty: none)");
      widget = edit;
      break;
    }
  }
  setSettingText(widget, start);
  describeWidget(widget, s);
  return widget;
}

bool holdsSettingValue(const QWidget* widget) {
  return qobject_cast<const QSpinBox*>(widget) || qobject_cast<const QDoubleSpinBox*>(widget) ||
         qobject_cast<const QCheckBox*>(widget) || qobject_cast<const QComboBox*>(widget) ||
         qobject_cast<const QLineEdit*>(widget);
}

QString settingText(const QWidget* widget) {
  if (auto* spin = qobject_cast<const QSpinBox*>(widget)) return QString::number(spin->value());
  if (auto* spin = qobject_cast<const QDoubleSpinBox*>(widget))
    return QString::fromStdString(settings::format(spin->value()));
  if (auto* box = qobject_cast<const QCheckBox*>(widget))
    return box->isChecked() ? "true" : "false";
  if (auto* combo = qobject_cast<const QComboBox*>(widget)) return combo->currentText().trimmed();
  if (auto* edit = qobject_cast<const QLineEdit*>(widget)) return edit->text().trimmed();
  return {};
}

void setSettingText(QWidget* widget, const QString& text) {
  if (auto* spin = qobject_cast<QSpinBox*>(widget)) {
    bool ok = false;
    const int value = text.toInt(&ok);
    if (ok) spin->setValue(value);
  } else if (auto* spin = qobject_cast<QDoubleSpinBox*>(widget)) {
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (ok) spin->setValue(value);
  } else if (auto* box = qobject_cast<QCheckBox*>(widget)) {
    box->setChecked(text == "true" || text == "1");
  } else if (auto* combo = qobject_cast<QComboBox*>(widget)) {
    if (combo->isEditable())
      combo->setCurrentText(text);
    else if (const int index = combo->findText(text); index >= 0)
      combo->setCurrentIndex(index);
  } else if (auto* edit = qobject_cast<QLineEdit*>(widget)) {
    edit->setText(text);
  }
}

QWidget* settingWidget(const QWidget* root, const std::string& key) {
  return root->findChild<QWidget*>(QString::fromStdString(key));
}

QString settingProblem(const QWidget* root, const settings::Setting& s) {
  if (!(s.where & settings::InGui)) return {};
  const QWidget* w = settingWidget(root, s.key);
  if (!w || !w->isEnabled() || !holdsSettingValue(w)) return {};
  const std::string problem = s.problem(settingText(w).toStdString());
  if (problem.empty()) return {};
  return QString::fromStdString((s.label.empty() ? s.key : s.label) + ": " + problem);
}

}  // namespace flatland::app
