#include "job_panel.h"

#include <QHeaderView>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTime>
#include <QVBoxLayout>

#include "job_queue.h"

namespace flatland::app {

namespace {
enum Column { Title, Progress, Time, State, Action };

QString formatSeconds(double s) {
  if (s < 60) return QString::number(s, 'f', 0) + " s";
  return QString("%1 min %2 s").arg(int(s) / 60).arg(int(s) % 60);
}
}  // namespace

JobPanel::JobPanel(JobQueue& queue, QWidget* parent) : QWidget(parent), m_queue(queue) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  m_table = new QTableWidget(0, 5, this);
  m_table->setObjectName("jobTable");
  m_table->setHorizontalHeaderLabels({"Job", "Progress", "Elapsed / left", "State", ""});
  m_table->horizontalHeader()->setSectionResizeMode(Title, QHeaderView::Stretch);
  m_table->horizontalHeader()->setSectionResizeMode(Progress, QHeaderView::Fixed);
  m_table->setColumnWidth(Progress, 180);
  m_table->setColumnWidth(Time, 150);
  m_table->setColumnWidth(State, 220);
  m_table->verticalHeader()->hide();
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_log = new QPlainTextEdit(this);
  m_log->setObjectName("jobLog");
  m_log->setReadOnly(true);
  m_log->setMaximumBlockCount(5000);
  // Side by side: the table gets the dock's whole height (a job per row, five or more rows
  // even in a short window), the log the rest of the width.
  auto* split = new QSplitter(Qt::Horizontal, this);
  split->setChildrenCollapsible(false);
  split->addWidget(m_table);
  split->addWidget(m_log);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  layout->addWidget(split);

  connect(&queue, &JobQueue::jobQueued, this, &JobPanel::onQueued);
  connect(&queue, &JobQueue::jobStarted, this, &JobPanel::onStarted);
  connect(&queue, &JobQueue::jobProgress, this, &JobPanel::onProgress);
  connect(&queue, &JobQueue::jobFinished, this, &JobPanel::onFinished);
}

void JobPanel::onQueued(int id, const QString& title) {
  Row row;
  row.row = m_table->rowCount();
  row.title = title;
  m_table->insertRow(row.row);
  m_table->setItem(row.row, Title, new QTableWidgetItem(title));
  row.bar = new QProgressBar;
  row.bar->setRange(0, 1000);
  row.bar->setValue(0);
  row.bar->setFormat("%p%");
  m_table->setCellWidget(row.row, Progress, row.bar);
  m_table->setItem(row.row, Time, new QTableWidgetItem("—"));
  m_table->setItem(row.row, State, new QTableWidgetItem("queued"));
  auto* cancel = new QPushButton("Cancel");
  cancel->setObjectName(QString("cancelJob%1").arg(id));
  connect(cancel, &QPushButton::clicked, this, [this, id] { m_queue.cancel(id); });
  m_table->setCellWidget(row.row, Action, cancel);
  m_rows[id] = row;
  appendLog(id, "queued: " + title);
}

void JobPanel::onStarted(int id) {
  auto& row = m_rows[id];
  row.clock.start();
  m_table->item(row.row, State)->setText("running");
  // Follow the job that runs: it may sit below the fold after many queued ones.
  m_table->scrollToItem(m_table->item(row.row, Title), QAbstractItemView::EnsureVisible);
  appendLog(id, "started");
}

void JobPanel::onProgress(int id, double fraction, const QString& stage, const QString& message) {
  auto it = m_rows.find(id);
  if (it == m_rows.end()) return;
  auto& row = it->second;
  row.bar->setValue(int(fraction * 1000));
  const double elapsed = row.clock.isValid() ? row.clock.elapsed() / 1000.0 : 0.0;
  QString time = formatSeconds(elapsed);
  if (const double left = row.left.update(elapsed, fraction); left >= 0 && fraction < 1.0)
    time += " / ~" + formatSeconds(left);
  m_table->item(row.row, Time)->setText(time);
  m_table->item(row.row, State)->setText(stage);
  if (!message.isEmpty()) appendLog(id, stage + ": " + message);
}

void JobPanel::onFinished(int id, bool ok, bool cancelled, const QString& message) {
  auto it = m_rows.find(id);
  if (it == m_rows.end()) return;
  auto& row = it->second;
  if (ok) row.bar->setValue(1000);
  const QString state = ok ? "done" : cancelled ? "cancelled" : "failed";
  m_table->item(row.row, State)->setText(state);
  m_table->item(row.row, State)->setToolTip(message);
  if (auto* button = m_table->cellWidget(row.row, Action)) button->setEnabled(false);
  appendLog(id, state + ": " + message);
}

void JobPanel::appendLog(int id, const QString& text) {
  m_log->appendPlainText(
      QString("[%1] job %2: %3").arg(QTime::currentTime().toString("hh:mm:ss")).arg(id).arg(text));
}

int JobPanel::progressOf(int id) const {
  auto it = m_rows.find(id);
  return it == m_rows.end() ? -1 : it->second.bar->value() / 10;
}

QString JobPanel::statusOf(int id) const {
  auto it = m_rows.find(id);
  return it == m_rows.end() ? QString() : m_table->item(it->second.row, State)->text();
}

QString JobPanel::log() const { return m_log->toPlainText(); }

}  // namespace flatland::app
