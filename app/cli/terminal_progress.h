// Progress on a terminal for long CLI jobs, and Ctrl-C mapped to a clean cancel.
#pragma once

#include "flatland/training/progress.h"

namespace flatland::cli {

// A JobControl whose progress draws one updating line on stderr when it is a terminal (silent
// otherwise, and with --json stdout stays clean), and whose cancel token is set by SIGINT, so
// Ctrl-C stops the job at its next safe point and keeps what it saved.
class TerminalJob {
 public:
  TerminalJob();
  ~TerminalJob();
  TerminalJob(const TerminalJob&) = delete;
  TerminalJob& operator=(const TerminalJob&) = delete;

  const JobControl& control() const { return m_control; }
  // Ends the progress line (call before printing results).
  void finish();

 private:
  JobControl m_control;
  bool m_terminal = false;
  bool m_lineOpen = false;
  double m_lastDraw = 0.0;
};

}  // namespace flatland::cli
