// The job panel: every queued or running job with a progress bar, elapsed and remaining time,
// its state and a Cancel button, beside a log of what the jobs said. The table follows the job
// that runs.
#pragma once

#include <QElapsedTimer>
#include <QWidget>

#include <map>

#include "time_estimate.h"

class QPlainTextEdit;
class QProgressBar;
class QTableWidget;

namespace flatland::app {

class JobQueue;

class JobPanel : public QWidget {
  Q_OBJECT
 public:
  JobPanel(JobQueue& queue, QWidget* parent = nullptr);
  // The progress of a job, 0–100 (for tests); -1 when unknown.
  int progressOf(int id) const;
  QString statusOf(int id) const;
  QString log() const;

 private:
  void onQueued(int id, const QString& title);
  void onStarted(int id);
  void onProgress(int id, double fraction, const QString& stage, const QString& message);
  void onFinished(int id, bool ok, bool cancelled, const QString& message);
  void appendLog(int id, const QString& text);

  struct Row {
    int row = 0;
    QProgressBar* bar = nullptr;
    QElapsedTimer clock;
    RemainingTimeEstimate left;
    QString title;
  };
  JobQueue& m_queue;
  QTableWidget* m_table = nullptr;
  QPlainTextEdit* m_log = nullptr;
  std::map<int, Row> m_rows;
};

}  // namespace flatland::app
