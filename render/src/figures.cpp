// Validation of the plain-array inputs and the names of figure kinds.
#include "flatland/render/figures.h"

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

std::string figureKind(const Figure& figure) {
  static const char* names[] = {"surface", "contour", "comparison", "volume",
                                "curves",  "density", "bars"};
  return names[figure.index()];
}

bool isThreeDimensional(const Figure& figure) {
  return std::holds_alternative<SurfaceFigure>(figure) ||
         std::holds_alternative<ComparisonFigure>(figure) ||
         std::holds_alternative<VolumeFigure>(figure);
}

}  // namespace flatland::render
