#include "terminal_progress.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

namespace flatland::cli {

namespace {

CancelToken& interruptToken() {
  static CancelToken token;
  return token;
}

extern "C" void onInterrupt(int) { interruptToken().cancel(); }

double seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

TerminalJob::TerminalJob() : m_terminal(isatty(STDERR_FILENO) != 0) {
  interruptToken().reset();
  std::signal(SIGINT, onInterrupt);
  m_control.cancel = &interruptToken();
  const double start = seconds();
  m_control.onProgress = [this, start](const ProgressEvent& e) {
    if (!m_terminal) return;
    const double now = seconds();
    if (now - m_lastDraw < 0.2 && e.fraction < 1.0) return;  // redraw at most 5 times a second
    m_lastDraw = now;
    const int width = 30;
    const int filled = static_cast<int>(std::lround(e.fraction * width));
    const double elapsed = now - start;
    const double remaining = e.fraction > 0.01 ? elapsed * (1.0 - e.fraction) / e.fraction : NAN;
    std::fprintf(stderr, "\r[%.*s%*s] %5.1f%%  %-14s", filled, "##############################",
                 width - filled, "", 100.0 * e.fraction, e.stage.c_str());
    if (!std::isnan(e.loss)) std::fprintf(stderr, " loss %.4f", e.loss);
    if (e.hvpCount >= 0) std::fprintf(stderr, " HVPs %lld", static_cast<long long>(e.hvpCount));
    std::fprintf(stderr, "  %.0fs", elapsed);
    if (!std::isnan(remaining)) std::fprintf(stderr, " (~%.0fs left)", remaining);
    std::fprintf(stderr, "\033[K");
    m_lineOpen = true;
  };
}

void TerminalJob::finish() {
  if (m_lineOpen) std::fprintf(stderr, "\n");
  m_lineOpen = false;
}

TerminalJob::~TerminalJob() {
  finish();
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace flatland::cli
