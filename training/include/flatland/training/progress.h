// Progress reporting and cancellation shared by every long job (training, Hessian, surfaces).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace flatland {

struct ProgressEvent {
  double fraction = 0.0;  // 0 … 1 of the whole job
  std::string stage;      // short label: "epoch 3/10", "lanczos", "grid"
  std::string message;    // one line for a log; may be empty
  int64_t hvpCount = -1;  // Hessian-vector products so far, -1 when not applicable
  double loss = std::numeric_limits<double>::quiet_NaN();  // latest loss, NaN when none
};

// A cancel flag shared between the thread that runs a job and the one that may stop it.
class CancelToken {
 public:
  void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
  bool isCancelled() const { return m_cancelled.load(std::memory_order_relaxed); }
  void reset() { m_cancelled.store(false, std::memory_order_relaxed); }

 private:
  std::atomic<bool> m_cancelled{false};
};

// What a job receives: a callback (may be empty) and a token (may be null).
struct JobControl {
  std::function<void(const ProgressEvent&)> onProgress;
  const CancelToken* cancel = nullptr;

  void report(const ProgressEvent& event) const {
    if (onProgress) onProgress(event);
  }
  // Throws flatland::Cancelled when the user asked to stop; call between units of work.
  void throwIfCancelled() const;
};

}  // namespace flatland
