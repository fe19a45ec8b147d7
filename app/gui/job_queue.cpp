#include "job_queue.h"

#include <QMetaObject>

#include <chrono>
#include <exception>

#include "flatland/errors.h"
#include "flatland/training/host_memory.h"

namespace flatland::app {

JobQueue::JobQueue(QObject* parent) : QObject(parent) {
  m_worker = new QObject;
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  m_thread.setObjectName("flatland-jobs");
  m_thread.start();
}

JobQueue::~JobQueue() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& [id, entry] : m_pending) entry.token->cancel();
  }
  m_thread.quit();
  m_thread.wait();
}

int JobQueue::enqueue(JobRequest request) {
  int id;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    id = m_nextId++;
    m_pending[id] = Entry{request, std::make_shared<CancelToken>()};
  }
  Q_EMIT jobQueued(id, request.title);
  QMetaObject::invokeMethod(
      m_worker, [this, id] { runJob(id); }, Qt::QueuedConnection);
  return id;
}

void JobQueue::cancel(int id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  auto it = m_pending.find(id);
  if (it != m_pending.end()) it->second.token->cancel();
}

bool JobQueue::busy() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return !m_pending.empty();
}

// Runs on the worker thread. Every exception is caught here: none may cross the event loop.
void JobQueue::runJob(int id) {
  Entry entry;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto it = m_pending.find(id);
    if (it == m_pending.end()) return;
    entry = it->second;
  }
  auto finish = [&](bool ok, bool cancelled, const QString& message) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pending.erase(id);
    }
    // The job's tensors are freed by now; the process keeps freed memory for speed
    // (keepFreedHostMemory), so hand it back rather than hold the job's peak while idle.
    training::releaseFreedHostMemory();
    Q_EMIT jobFinished(id, ok, cancelled, message);
  };
  if (entry.token->isCancelled()) return finish(false, true, "cancelled before it started");
  Q_EMIT jobStarted(id);
  JobControl control;
  control.cancel = entry.token.get();
  auto lastEmit = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  control.onProgress = [this, id, &lastEmit](const ProgressEvent& e) {
    // At most ten updates a second reach the GUI thread, whatever the job's pace.
    auto now = std::chrono::steady_clock::now();
    if (e.fraction < 1.0 && now - lastEmit < std::chrono::milliseconds(100)) return;
    lastEmit = now;
    QString message = QString::fromStdString(e.message);
    if (e.hvpCount >= 0) message += QString(" (%1 HVPs)").arg(e.hvpCount);
    Q_EMIT jobProgress(id, e.fraction, QString::fromStdString(e.stage), message);
  };
  try {
    auto summary = entry.request.work(control);
    finish(true, false, QString::fromStdString(summary));
  } catch (const Cancelled&) {
    finish(false, true, "cancelled; what it saved before stopping stays in the project");
  } catch (const Error& e) {
    finish(false, false, QString::fromStdString(e.what()));
  } catch (const std::exception& e) {
    finish(false, false, QString("internal error: ") + e.what());
  } catch (...) {
    finish(false, false, "internal error: an exception that is not a std::exception");
  }
}

}  // namespace flatland::app
