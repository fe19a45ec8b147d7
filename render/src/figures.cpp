// Validation of the plain-array inputs and the names of figure kinds.
#include "flatland/render/figures.h"

#include <algorithm>
#include <cmath>

#include "flatland/errors.h"

namespace flatland::render {

void SurfaceGrid::validate() const {
  if (xs.size() < 2 || ys.size() < 2)
    throw RenderError("a surface needs at least 2 x 2 grid points, got " +
                      std::to_string(xs.size()) + " x " + std::to_string(ys.size()));
  if (values.size() != xs.size() * ys.size())
    throw RenderError("surface values have " + std::to_string(values.size()) +
                      " entries, expected ny*nx = " + std::to_string(ys.size() * xs.size()));
}

void VolumeGrid::validate() const {
  if (xs.size() < 2 || ys.size() < 2 || zs.size() < 2)
    throw RenderError("a volume needs at least 2 points along each of its three axes");
  if (values.size() != xs.size() * ys.size() * zs.size())
    throw RenderError(
        "volume values have " + std::to_string(values.size()) +
        " entries, expected nz*ny*nx = " + std::to_string(zs.size() * ys.size() * xs.size()));
}

void SampleImage::validate() const {
  if (width < 1 || height < 1 || (channels != 1 && channels != 3))
    throw RenderError("an image needs a positive size and 1 or 3 channels, got " +
                      std::to_string(width) + " x " + std::to_string(height) + " x " +
                      std::to_string(channels));
  if (pixels.size() != size_t(width * height * channels))
    throw RenderError(
        "image pixels have " + std::to_string(pixels.size()) +
        " entries, expected width*height*channels = " + std::to_string(width * height * channels));
}

std::vector<double> smoothedDensity(const std::vector<std::vector<double>>& nodes,
                                    const std::vector<std::vector<double>>& weights,
                                    const std::vector<double>& xs, double sigma) {
  if (!(sigma > 0)) throw RenderError("the smoothing width must be positive");
  std::vector<double> ys(xs.size(), 0.0);
  const std::size_t vectors = std::min(nodes.size(), weights.size());
  if (vectors == 0) return ys;
  const double norm = 1.0 / (sigma * std::sqrt(2.0 * M_PI) * double(vectors));
  for (std::size_t v = 0; v < vectors; ++v)
    for (std::size_t i = 0; i < nodes[v].size() && i < weights[v].size(); ++i)
      if (std::isfinite(nodes[v][i]) && std::isfinite(weights[v][i]))  // NaN: padding
        for (std::size_t k = 0; k < xs.size(); ++k) {
          const double z = (xs[k] - nodes[v][i]) / sigma;
          ys[k] += weights[v][i] * norm * std::exp(-0.5 * z * z);
        }
  return ys;
}

std::string figureKind(const Figure& figure) {
  static const char* names[] = {"surface", "contour", "comparison", "volume",
                                "curves",  "density", "bars"};
  return names[figure.index()];
}

bool isThreeDimensional(const Figure& figure) {
  if (const auto* c = std::get_if<ComparisonFigure>(&figure)) return !c->contours;
  return std::holds_alternative<SurfaceFigure>(figure) ||
         std::holds_alternative<VolumeFigure>(figure);
}

}  // namespace flatland::render
