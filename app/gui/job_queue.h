// Runs long jobs one after another on a worker thread, so the GUI thread never does LibTorch
// work; progress and results come back as queued signals. Free of LibTorch (jobs are closures).
#pragma once

#include <QObject>
#include <QString>
#include <QThread>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "flatland/training/progress.h"

namespace flatland::app {

struct JobRequest {
  QString title;
  // Does the work; returns a one-line summary. Throws flatland::Error (shown to the user) or
  // Cancelled. Runs on the worker thread: it must not touch widgets.
  std::function<std::string(const JobControl&)> work;
};

class JobQueue : public QObject {
  Q_OBJECT
 public:
  explicit JobQueue(QObject* parent = nullptr);
  ~JobQueue() override;

  // Queues a job; returns its id. Jobs run in the order queued.
  int enqueue(JobRequest request);
  // Stops a running job at its next safe point, or drops a queued one.
  void cancel(int id);
  // True while a job runs or waits.
  bool busy() const;

 Q_SIGNALS:
  void jobQueued(int id, const QString& title);
  void jobStarted(int id);
  void jobProgress(int id, double fraction, const QString& stage, const QString& message);
  // ok = false: message says why; cancelled jobs report ok = false and cancelled = true.
  void jobFinished(int id, bool ok, bool cancelled, const QString& message);

 private:
  void runJob(int id);

  struct Entry {
    JobRequest request;
    std::shared_ptr<CancelToken> token;
  };
  QThread m_thread;
  QObject* m_worker = nullptr;  // lives on m_thread; jobs are queued calls into it
  mutable std::mutex m_mutex;
  std::map<int, Entry> m_pending;  // queued or running
  int m_nextId = 1;
};

}  // namespace flatland::app
