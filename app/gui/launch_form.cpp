#include "launch_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace flatland::app {

LaunchForm::LaunchForm(ProjectPathGetter projectPath, QWidget* parent)
    : QWidget(parent), m_projectPath(std::move(projectPath)) {
  auto* layout = new QVBoxLayout(this);
  m_form = new QFormLayout;
  layout->addLayout(m_form);
}

void LaunchForm::finishLayout() {
  m_problem = new QLabel;
  m_problem->setObjectName("problem");
  m_problem->setWordWrap(true);
  m_problem->setStyleSheet("color: #b00020");
  m_run = new QPushButton("Run");
  m_run->setObjectName("runButton");
  auto* layout = static_cast<QVBoxLayout*>(this->layout());
  layout->addWidget(m_problem);
  layout->addWidget(m_run);
  layout->addStretch();
  connect(m_run, &QPushButton::clicked, this, [this] {
    revalidate();
    if (problem().isEmpty()) Q_EMIT submitted(job());
  });
  // Validate as the user types: every editor of the form re-checks on change.
  for (auto* w : findChildren<QLineEdit*>())
    connect(w, &QLineEdit::textChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QComboBox*>())
    connect(w, &QComboBox::currentTextChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QSpinBox*>())
    connect(w, &QSpinBox::valueChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QDoubleSpinBox*>())
    connect(w, &QDoubleSpinBox::valueChanged, this, &LaunchForm::revalidate);
  for (auto* w : findChildren<QCheckBox*>())
    connect(w, &QCheckBox::toggled, this, &LaunchForm::revalidate);
  revalidate();
}

void LaunchForm::revalidate() {
  QString p = projectPath().isEmpty() ? "Open or create a project first (File menu)." : problem();
  m_problem->setText(p);
  m_run->setEnabled(p.isEmpty());
}

FoldedSection addFoldedSection(QFormLayout* parentForm, const QString& objectName) {
  FoldedSection section;
  section.body = new QWidget;
  section.body->setObjectName(objectName);
  section.form = new QFormLayout(section.body);
  section.form->setContentsMargins(0, 0, 0, 0);
  section.body->setVisible(false);
  section.toggle = new QPushButton("More settings \u25b8");
  section.toggle->setObjectName("moreToggle");
  section.toggle->setCheckable(true);
  section.toggle->setFlat(true);
  QObject::connect(section.toggle, &QPushButton::toggled, section.body, [section](bool open) {
    section.body->setVisible(open);
    section.toggle->setText(open ? "More settings \u25be" : "More settings \u25b8");
  });
  parentForm->addRow(section.toggle);
  parentForm->addRow(section.body);
  return section;
}

}  // namespace flatland::app
