#include "time_estimate.h"

#include <algorithm>
#include <cmath>

namespace flatland::app {

namespace {
// Reports closer together than this are merged: their rates are mostly noise.
constexpr double kMinInterval = 0.5;
// Below this much progress the rate says little (start-up costs dominate).
constexpr double kMinFraction = 0.01;
}  // namespace

namespace {
// The weight of a new value after `dt` seconds, for an exponential average of this half-life.
double weightAfter(double dt, double halfLife) {
  return 1.0 - std::exp(-dt * std::log(2.0) / halfLife);
}
}  // namespace

RemainingTimeEstimate::RemainingTimeEstimate(double rateHalfLife, double estimateHalfLife)
    : m_rateHalfLife(std::max(rateHalfLife, 1e-3)),
      m_estimateHalfLife(std::max(estimateHalfLife, 1e-3)) {}

double RemainingTimeEstimate::update(double elapsedSeconds, double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (fraction >= 1.0) return m_left = 0.0;
  if (m_rate < 0.0) {
    // The first rate is the average so far, once there is some progress to average.
    if (fraction >= kMinFraction && elapsedSeconds > 0.0) {
      m_rate = fraction / elapsedSeconds;
      m_lastTime = elapsedSeconds;
      m_lastFraction = fraction;
    }
  } else if (const double dt = elapsedSeconds - m_lastTime; dt >= kMinInterval) {
    const double rate = std::max(0.0, fraction - m_lastFraction) / dt;
    // Exponential smoothing in time: the weight of the new rate grows with the interval it covers.
    const double weight = weightAfter(dt, m_rateHalfLife);
    m_rate = weight * rate + (1.0 - weight) * m_rate;
    m_lastTime = elapsedSeconds;
    m_lastFraction = fraction;
  }
  if (m_rate <= 0.0) return m_left = -1.0;
  // Between rate updates the estimate counts down with the clock.
  const double sinceUpdate = std::max(0.0, elapsedSeconds - m_lastTime);
  const double raw = std::max(0.0, (1.0 - m_lastFraction) / m_rate - sinceUpdate);
  const double dt = elapsedSeconds - m_estimateTime;
  if (m_left < 0.0 || dt < 0.0) {
    m_left = raw;
  } else {
    const double weight = weightAfter(dt, m_estimateHalfLife);
    m_left = std::max(0.0, weight * raw + (1.0 - weight) * (m_left - dt));
  }
  m_estimateTime = elapsedSeconds;
  return m_left;
}

}  // namespace flatland::app
