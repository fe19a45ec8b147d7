// The base of the forms that launch jobs: a form layout, a line that says what is wrong next to
// the Run button, and a Run button enabled only when the values are valid.
#pragma once

#include <QString>
#include <QWidget>

#include <functional>

#include "job_queue.h"

class QFormLayout;
class QLabel;
class QPushButton;

namespace flatland::app {

// Each form validates as the user types and has defaults that give a result on a first press
// of Run. Subclasses build their rows, then call finishLayout().
class LaunchForm : public QWidget {
  Q_OBJECT
 public:
  using ProjectPathGetter = std::function<QString()>;
  LaunchForm(ProjectPathGetter projectPath, QWidget* parent);
  // Empty when the form can run; otherwise what is wrong, in words a user can act on.
  virtual QString problem() const = 0;
  // The job for the current values; call only when problem() is empty.
  virtual JobRequest job() const = 0;
  QPushButton* runButton() const { return m_run; }
  // Re-checks the values (after the project changed, for instance) and updates the message.
  void revalidate();
  QLabel* problemLabel() const { return m_problem; }

 Q_SIGNALS:
  void submitted(const JobRequest& job);

 protected:
  void finishLayout();  // adds the problem label and Run button; call at the end of a constructor
  QString projectPath() const { return m_projectPath(); }
  QFormLayout* m_form = nullptr;

 private:
  ProjectPathGetter m_projectPath;
  QLabel* m_problem = nullptr;
  QPushButton* m_run = nullptr;
};

// A "More settings ▸" button that folds a sub-form in and out (folded at first).
struct FoldedSection {
  QPushButton* toggle = nullptr;
  QWidget* body = nullptr;
  QFormLayout* form = nullptr;
};
FoldedSection addFoldedSection(QFormLayout* parentForm, const QString& objectName);

}  // namespace flatland::app
