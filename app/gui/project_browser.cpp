#include "project_browser.h"

#include <QHeaderView>
#include <QScrollBar>
#include <QSet>

#include <cmath>

#include "flatland/training/project_file.h"
#include "flatland/training/project_schema.h"

namespace flatland::app {

namespace {

QString number(const training::Node& node, const char* key, int precision = 4) {
  if (!node.has(key)) return {};
  double v = node.number(key);
  return std::isnan(v) ? QString() : QString::number(v, 'g', precision);
}

QString text(const training::Node& node, const char* key) {
  try {
    return node.has(key) ? QString::fromStdString(node.text(key)) : QString();
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

QString runEntry(const std::string& name) {
  return QString::fromStdString(schema::runPath(name)).mid(1);
}
QString analysisEntry(const std::string& name) {
  return QString::fromStdString(schema::analysisPath(name)).mid(1);
}
bool isRunEntry(const QString& entry) { return entry.startsWith(runEntry("")); }
bool isAnalysisEntry(const QString& entry) { return entry.startsWith(analysisEntry("")); }

ProjectBrowser::ProjectBrowser(QWidget* parent) : QTreeWidget(parent) {
  setObjectName("projectBrowser");
  setColumnCount(4);
  setHeaderLabels({"Name", "Kind", "Key numbers", "State"});
  setSelectionMode(QAbstractItemView::ExtendedSelection);
  header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  connect(this, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
    auto entry = item->data(0, Qt::UserRole).toString();
    if (!entry.isEmpty()) Q_EMIT openRequested(entry);
  });
}

void ProjectBrowser::clearProject() {
  clear();
  m_runs = m_analyses = nullptr;
}

void ProjectBrowser::load(const QString& projectPath) {
  auto project = training::ProjectFile::open(projectPath.toStdString());
  // A reload (every two seconds while jobs run) keeps what the user selected and where the list
  // was scrolled to.
  const QStringList selected = selectedEntries();
  const QString current =
      currentItem() ? currentItem()->data(0, Qt::UserRole).toString() : QString();
  const int scrolledTo = verticalScrollBar()->value();
  clearProject();
  m_runs = new QTreeWidgetItem(this, {"Runs"});
  m_analyses = new QTreeWidgetItem(this, {"Analyses"});
  for (auto& name : project.list(schema::kRunsPath)) {
    auto node = project.read(schema::runPath(name), false);
    QString numbers;
    if (auto acc = number(node, schema::kFinalTestAccuracy); !acc.isEmpty())
      numbers = "test acc " + acc;
    if (auto e = number(node, schema::kEpochsDone); !e.isEmpty())
      numbers += QString(numbers.isEmpty() ? "" : ", ") + e + " epochs";
    auto* item =
        new QTreeWidgetItem(m_runs, {QString::fromStdString(name), text(node, schema::kOptimizer),
                                     numbers, text(node, schema::kStatus)});
    item->setData(0, Qt::UserRole, runEntry(name));
    item->setToolTip(0, text(node, schema::kModel) + " on " + text(node, schema::kData));
    item->setToolTip(2, numbers);
  }
  for (auto& name : project.list(schema::kAnalysesPath)) {
    auto node = project.read(schema::analysisPath(name), false);
    QStringList numbers;
    if (auto v = number(node, schema::kLambdaMax); !v.isEmpty()) numbers << "\u03bb_max " + v;
    if (auto v = number(node, schema::kLambdaMin); !v.isEmpty()) numbers << "\u03bb_min " + v;
    if (auto v = number(node, schema::kTrace); !v.isEmpty()) numbers << "trace " + v;
    if (auto v = number(node, schema::kLossMin); !v.isEmpty()) numbers << "min loss " + v;
    if (auto v = number(node, schema::kFloatTestAccuracy); !v.isEmpty())
      numbers << "float acc " + v;
    if (auto v = number(node, schema::kCleanAccuracy); !v.isEmpty()) numbers << "clean acc " + v;
    if (auto v = number(node, schema::kPacBayesSigma); !v.isEmpty()) numbers << "PAC-Bayes σ " + v;
    if (auto v = number(node, schema::kGapAccuracy); !v.isEmpty()) numbers << "acc gap " + v;
    const bool complete = node.has(schema::kComplete) && node.number(schema::kComplete) == 1;
    auto* item =
        new QTreeWidgetItem(m_analyses, {QString::fromStdString(name), text(node, schema::kKind),
                                         numbers.join(", "), complete ? "complete" : "partial"});
    item->setData(0, Qt::UserRole, analysisEntry(name));
    item->setToolTip(0, text(node, schema::kModel) + " on " + text(node, schema::kData));
    item->setToolTip(2, numbers.join(", "));
  }
  expandAll();
  const QSet<QString> wanted(selected.begin(), selected.end());
  for (QTreeWidgetItem* group : {m_runs, m_analyses})
    for (int i = 0; i < group->childCount(); ++i) {
      QTreeWidgetItem* item = group->child(i);
      const QString entry = item->data(0, Qt::UserRole).toString();
      if (entry == current) setCurrentItem(item, 0, QItemSelectionModel::NoUpdate);
      if (wanted.contains(entry)) item->setSelected(true);
    }
  verticalScrollBar()->setValue(scrolledTo);
}

QStringList ProjectBrowser::selectedEntries() const {
  QStringList out;
  for (auto* item : selectedItems()) {
    auto entry = item->data(0, Qt::UserRole).toString();
    if (!entry.isEmpty()) out << entry;
  }
  return out;
}

QStringList ProjectBrowser::entries() const {
  QStringList out;
  for (auto* group : {m_runs, m_analyses}) {
    if (!group) continue;
    for (int i = 0; i < group->childCount(); ++i)
      out << group->child(i)->data(0, Qt::UserRole).toString();
  }
  return out;
}

}  // namespace flatland::app
