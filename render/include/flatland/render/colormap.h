// Perceptual colour maps (viridis and friends) shared by every view, so PNG, PDF and SVG agree.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace flatland::render {

enum class ColorMapName { Viridis, Magma, Plasma, Coolwarm, Gray };

// An RGB colour with components in [0, 1].
using Rgb = std::array<double, 3>;

class ColorMap {
 public:
  explicit ColorMap(ColorMapName name = ColorMapName::Viridis);
  // The colour at t in [0, 1] (clamped).
  Rgb at(double t) const;
  ColorMapName name() const { return m_name; }

 private:
  ColorMapName m_name;
  std::vector<Rgb> m_anchors;  // evenly spaced, linearly interpolated
};

// "viridis", "magma", "plasma", "coolwarm", "gray"; throws RenderError otherwise.
ColorMapName parseColorMap(const std::string& name);
std::string colorMapText(ColorMapName name);

// The colours of the lines in charts (train, test, optimizers, classes): Okabe & Ito's (2008)
// colour-blind-safe set first, twelve distinct in all, cycled when there are more series.
Rgb seriesColor(std::size_t index);

}  // namespace flatland::render
