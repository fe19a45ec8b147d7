// Colour maps sampled from matplotlib's definitions at evenly spaced anchors; linear interpolation
// between anchors stays within a just-noticeable difference of the full 256-entry tables.
#include "flatland/render/colormap.h"

#include <algorithm>
#include <cmath>

#include "flatland/errors.h"

namespace flatland::render {
namespace {

Rgb hex(unsigned value) {
  return {((value >> 16) & 0xff) / 255.0, ((value >> 8) & 0xff) / 255.0, (value & 0xff) / 255.0};
}

std::vector<Rgb> anchorsOf(ColorMapName name) {
  switch (name) {
    case ColorMapName::Viridis:
      return {hex(0x440154), hex(0x482475), hex(0x414487), hex(0x355f8d),
              hex(0x2a788e), hex(0x21918c), hex(0x22a884), hex(0x44bf70),
              hex(0x7ad151), hex(0xbddf26), hex(0xfde725)};
    case ColorMapName::Magma:
      return {hex(0x000004), hex(0x140e36), hex(0x3b0f70), hex(0x641a80),
              hex(0x8c2981), hex(0xb73779), hex(0xde4968), hex(0xf7705c),
              hex(0xfe9f6d), hex(0xfecf92), hex(0xfcfdbf)};
    case ColorMapName::Plasma:
      return {hex(0x0d0887), hex(0x41049d), hex(0x6a00a8), hex(0x8f0da4),
              hex(0xb12a90), hex(0xcc4778), hex(0xe16462), hex(0xf2844b),
              hex(0xfca636), hex(0xfcce25), hex(0xf0f921)};
    case ColorMapName::Coolwarm:
      return {hex(0x3b4cc0), hex(0x6282ea), hex(0x8db0fe), hex(0xb8d0f9), hex(0xdcdddd),
              hex(0xf5c4ad), hex(0xf49a7b), hex(0xde604d), hex(0xb40426)};
    case ColorMapName::Gray:
      return {hex(0x000000), hex(0xffffff)};
  }
  return {hex(0x000000), hex(0xffffff)};
}

}  // namespace

ColorMap::ColorMap(ColorMapName name) : m_name(name), m_anchors(anchorsOf(name)) {}

Rgb ColorMap::at(double t) const {
  if (!std::isfinite(t)) t = 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double position = t * double(m_anchors.size() - 1);
  const std::size_t i = std::min(std::size_t(position), m_anchors.size() - 2);
  const double f = position - double(i);
  Rgb result;
  for (int c = 0; c < 3; ++c) result[c] = m_anchors[i][c] * (1.0 - f) + m_anchors[i + 1][c] * f;
  return result;
}

ColorMapName parseColorMap(const std::string& name) {
  if (name == "viridis") return ColorMapName::Viridis;
  if (name == "magma") return ColorMapName::Magma;
  if (name == "plasma") return ColorMapName::Plasma;
  if (name == "coolwarm") return ColorMapName::Coolwarm;
  if (name == "gray" || name == "grey") return ColorMapName::Gray;
  throw RenderError("unknown colour map '" + name +
                    "' (choose viridis, magma, plasma, coolwarm or gray)");
}

std::string colorMapText(ColorMapName name) {
  switch (name) {
    case ColorMapName::Viridis:
      return "viridis";
    case ColorMapName::Magma:
      return "magma";
    case ColorMapName::Plasma:
      return "plasma";
    case ColorMapName::Coolwarm:
      return "coolwarm";
    case ColorMapName::Gray:
      return "gray";
  }
  return "viridis";
}

Rgb seriesColor(std::size_t index) {
  // Okabe-Ito without its yellow (too light on white paper), then five of Paul Tol's "muted"
  // colours (wine, olive, indigo, teal, grey): twelve, so the ten classes of a per-class chart
  // never share a colour.
  static const unsigned palette[] = {0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7, 0x56b4e9, 0xe69f00,
                                     0x000000, 0x882255, 0x999933, 0x332288, 0x44aa99, 0x888888};
  return hex(palette[index % (sizeof(palette) / sizeof(palette[0]))]);
}

}  // namespace flatland::render
