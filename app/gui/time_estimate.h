// The time left of a running job, from its progress. The rate (fraction per second) is smoothed
// exponentially over time, and so, more lightly, is the estimate itself (counting down with the
// clock in between), so a stall or a burst of progress does not swing it (it jumped
// 32 s → 1 min 34 s → 48 s when it was elapsed · (1 − f) / f of the last report).
#pragma once

namespace flatland::app {

class RemainingTimeEstimate {
 public:
  // Older rates weigh half as much after `rateHalfLife` seconds, older estimates after
  // `estimateHalfLife` seconds.
  explicit RemainingTimeEstimate(double rateHalfLife = 20.0, double estimateHalfLife = 5.0);

  // Records that `fraction` (0–1) was done after `elapsedSeconds`; returns the seconds left, or
  // a negative number while there is too little progress to tell.
  double update(double elapsedSeconds, double fraction);
  // The last estimate (negative while unknown).
  double secondsLeft() const { return m_left; }

 private:
  double m_rateHalfLife;
  double m_estimateHalfLife;
  double m_estimateTime = 0.0;  // when m_left was last computed
  double m_lastTime = 0.0;
  double m_lastFraction = 0.0;
  double m_rate = -1.0;  // smoothed fraction per second; negative before the first rate
  double m_left = -1.0;
};

}  // namespace flatland::app
