#include "flatland/analysis/grid.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "flatland/errors.h"

namespace flatland::analysis {

namespace {

std::string formatNumber(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

double parseNumber(const std::string& text, const std::string& axis) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    throw InvalidArgument("bad grid axis '" + axis + "': '" + text +
                          "' is not a finite number "
                          "(expected lo:hi:n, e.g. -1:1:51)");
  return v;
}

}  // namespace

std::vector<double> GridAxis::coordinates() const {
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out[size_t(i)] = n == 1 ? lo : lo + (hi - lo) * double(i) / double(n - 1);
  if (n > 1) out.back() = hi;
  return out;
}

std::string GridAxis::text() const {
  return formatNumber(lo) + ":" + formatNumber(hi) + ":" + std::to_string(n);
}

GridAxis GridAxis::parse(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ':')) parts.push_back(part);
  if (parts.size() != 3)
    throw InvalidArgument("bad grid axis '" + text + "': expected lo:hi:n, e.g. -1:1:51");
  GridAxis axis;
  axis.lo = parseNumber(parts[0], text);
  axis.hi = parseNumber(parts[1], text);
  char* end = nullptr;
  long long n = std::strtoll(parts[2].c_str(), &end, 10);
  if (parts[2].empty() || end != parts[2].c_str() + parts[2].size() || n < 1 || n > 100000)
    throw InvalidArgument("bad grid axis '" + text +
                          "': the point count n must be a whole "
                          "number from 1 to 100000");
  axis.n = n;
  if (axis.n > 1 && !(axis.hi > axis.lo))
    throw InvalidArgument("bad grid axis '" + text + "': hi must be larger than lo");
  return axis;
}

int64_t GridSpec::points() const {
  int64_t n = axes.empty() ? 0 : 1;
  for (auto& a : axes) n *= a.n;
  return n;
}

std::vector<int64_t> GridSpec::shape() const {
  std::vector<int64_t> out;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) out.push_back(it->n);
  return out;
}

std::array<double, 3> GridSpec::point(int64_t flat) const {
  std::array<double, 3> c = {0.0, 0.0, 0.0};
  for (size_t a = 0; a < axes.size(); ++a) {
    const int64_t i = flat % axes[a].n;
    flat /= axes[a].n;
    const auto& ax = axes[a];
    c[a] = ax.n == 1
               ? ax.lo
               : (i == ax.n - 1 ? ax.hi : ax.lo + (ax.hi - ax.lo) * double(i) / double(ax.n - 1));
  }
  return c;
}

std::string GridSpec::text() const {
  std::string out;
  for (auto& a : axes) out += (out.empty() ? "" : ",") + a.text();
  return out;
}

std::string defaultGridFor(DirectionKind kind) {
  switch (kind) {
    case DirectionKind::Random:
    case DirectionKind::Eigen:
    case DirectionKind::LossLandscape:  // its plot_surface.py's default (1-D files: one axis)
      return "-1:1:51,-1:1:51";
    case DirectionKind::Interp:
      return "-0.5:1.5:41";
    case DirectionKind::Plane:  // A at (0, 0), B at (1, 0), the bend at (0, 1)
      return "-0.25:1.25:31,-0.25:1.25:31";
    case DirectionKind::Pca:
      break;
  }
  return "";
}

GridSpec GridSpec::parse(const std::string& text) {
  GridSpec spec;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, ',')) spec.axes.push_back(GridAxis::parse(part));
  if (spec.axes.empty() || spec.axes.size() > 3 || (!text.empty() && text.back() == ','))
    throw InvalidArgument("bad grid '" + text +
                          "': give 1 to 3 axes X[,Y[,Z]], each lo:hi:n "
                          "(e.g. -1:1:51,-1:1:51)");
  if (spec.points() > 50'000'000)
    throw InvalidArgument("bad grid '" + text + "': more than 50 million points");
  return spec;
}

}  // namespace flatland::analysis
