// The tree of a project's runs and analyses with their key numbers (final accuracy, λ_max,
// trace); double-click opens one, several selected analyses can be compared.
#pragma once

#include <QString>
#include <QStringList>
#include <QTreeWidget>

#include <string>

namespace flatland::app {

// An entry of the browser is the project-file path of a run or analysis without its leading '/':
// "runs/NAME" or "analyses/NAME".
QString runEntry(const std::string& name);
QString analysisEntry(const std::string& name);
bool isRunEntry(const QString& entry);
bool isAnalysisEntry(const QString& entry);

class ProjectBrowser : public QTreeWidget {
  Q_OBJECT
 public:
  explicit ProjectBrowser(QWidget* parent = nullptr);
  // Re-reads the project file. Throws flatland::ProjectError (the caller shows it).
  void load(const QString& projectPath);
  void clearProject();
  // Selected names: "runs/NAME" or "analyses/NAME".
  QStringList selectedEntries() const;
  QStringList entries() const;

 Q_SIGNALS:
  void openRequested(const QString& entry);

 private:
  QTreeWidgetItem* m_runs = nullptr;
  QTreeWidgetItem* m_analyses = nullptr;
};

}  // namespace flatland::app
