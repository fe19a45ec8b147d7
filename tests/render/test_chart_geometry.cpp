// Unit tests of the pieces under the figures: ticks, colour maps, contour geometry, the surface
// mesh (its [y, x] indexing), and input validation.
#include <gtest/gtest.h>

#include <cmath>

#include "../../render/src/contour_geometry.h"
#include "../../render/src/surface_mesh.h"
#include "../../render/src/ticks.h"
#include "flatland/errors.h"
#include "flatland/render/colormap.h"
#include "flatland/render/synthetic_figures.h"

namespace flatland::render {
namespace {

TEST(Ticks, LinearTicksAreNiceAndInside) {
  const auto ticks = linearTicks(-0.93, 1.71, 5);
  ASSERT_GE(ticks.size(), 4u);
  ASSERT_LE(ticks.size(), 8u);
  EXPECT_DOUBLE_EQ(ticks.front().value, -0.5);
  EXPECT_EQ(ticks.front().label, "-0.5");
  for (const Tick& t : ticks) {
    EXPECT_GE(t.value, -0.93);
    EXPECT_LE(t.value, 1.71);
  }
  EXPECT_EQ(linearTicks(0, 1, 4)[1].label, "0.25");
  EXPECT_EQ(formatNumber(1e-17, 0.5), "0.0");
}

TEST(Ticks, DecadesForLogAxes) {
  const auto ticks = decadeTicks(1e-7, 10.0);
  ASSERT_EQ(ticks.size(), 5u);  // 9 decades thinned to every second one
  EXPECT_DOUBLE_EQ(ticks.front().value, 1e-7);
  EXPECT_EQ(ticks.front().label, "-7");
}

TEST(ColorMaps, ViridisEndsAndParsing) {
  const ColorMap viridis(ColorMapName::Viridis);
  EXPECT_NEAR(viridis.at(0.0)[0], 0x44 / 255.0, 1e-9);         // #440154
  EXPECT_NEAR(viridis.at(1.0)[1], 0xe7 / 255.0, 1e-9);         // #fde725
  EXPECT_NEAR(viridis.at(2.0)[1], viridis.at(1.0)[1], 1e-12);  // clamped
  EXPECT_EQ(parseColorMap("magma"), ColorMapName::Magma);
  EXPECT_THROW(parseColorMap("jet"), RenderError);
}

// Ten classes get ten colours that a reader tells apart: no two closer than 60 in RGB (0-255)
// distance, and never pure white (invisible on paper).
TEST(ColorMaps, TenSeriesGetTenDistinctColours) {
  for (std::size_t i = 0; i < 10; ++i) {
    const Rgb a = seriesColor(i);
    EXPECT_LT(a[0] + a[1] + a[2], 2.7) << "series " << i << " is too light";
    for (std::size_t j = 0; j < i; ++j) {
      const Rgb b = seriesColor(j);
      const double distance =
          255.0 *
          std::sqrt(std::pow(a[0] - b[0], 2) + std::pow(a[1] - b[1], 2) + std::pow(a[2] - b[2], 2));
      EXPECT_GT(distance, 60.0) << "series " << i << " and " << j << " look alike";
    }
  }
}

TEST(ContourGeometry, LevelSegmentAndBands) {
  const std::array<ScalarVertex, 3> tri{{{0, 0, 0, 0.0}, {1, 0, 0, 1.0}, {0, 1, 0, 2.0}}};
  Segment segment;
  ASSERT_TRUE(levelSegment(tri, 0.5, segment));
  for (const auto& v : segment) EXPECT_NEAR(v.s, 0.5, 1e-12);
  EXPECT_FALSE(levelSegment(tri, 3.0, segment));
  // Bands [0,1] and [1,2] tile the triangle: their areas add up to 1/2.
  double area = 0.0;
  for (auto [lo, hi] : {std::pair{0.0, 1.0}, std::pair{1.0, 2.0}}) {
    const auto polygon = bandPolygon(tri, lo, hi);
    for (std::size_t i = 0; i < polygon.size(); ++i) {
      const auto& a = polygon[i];
      const auto& b = polygon[(i + 1) % polygon.size()];
      area += 0.5 * (a.x * b.y - b.x * a.y);
    }
  }
  EXPECT_NEAR(std::abs(area), 0.5, 1e-12);
}

TEST(SurfaceMesh, GridIsIndexedYThenX) {
  SurfaceFigure figure;
  figure.grid.xs = {0, 1, 2};
  figure.grid.ys = {10, 20};
  // values[iy][ix]; the minimum sits at x = 2, y = 10.
  figure.grid.values = {5, 4, 1, 6, 7, 8};
  const SurfaceMesh mesh = buildSurfaceMesh(figure);
  EXPECT_EQ(mesh.minimumIndex, 2);
  EXPECT_DOUBLE_EQ(mesh.points[2][0], 1.0);  // x = 2 is the right edge
  EXPECT_DOUBLE_EQ(mesh.points[2][1], 0.0);  // y = 10 is the near edge
  EXPECT_EQ(mesh.triangles.size(), 4u);
  EXPECT_NEAR(mesh.sample(1.0, 15.0, figure.grid), (4 + 7) / 2.0, 1e-12);
}

TEST(SurfaceMesh, LogScaleClipAndMissingPoints) {
  SurfaceFigure figure;
  figure.grid.xs = {0, 1};
  figure.grid.ys = {0, 1};
  figure.grid.values = {0.01, 1000.0, std::nan(""), 1.0};
  figure.scale.logScale = true;
  figure.scale.clipMax = 100.0;
  const SurfaceMesh mesh = buildSurfaceMesh(figure);
  EXPECT_NEAR(mesh.range.lo, -2.0, 1e-12);
  EXPECT_NEAR(mesh.range.hi, 2.0, 1e-12);  // clipped at 100 before the log
  EXPECT_FALSE(mesh.valid[2]);
  EXPECT_EQ(mesh.triangles.size(), 1u);  // only the cell half without the missing point
  EXPECT_EQ(valueAxisLabel("loss", figure.scale), "log\u2081\u2080 loss (clipped at 100)");
}

// A fixed loss range (views of several surfaces on one scale): the mesh spans it, and losses
// outside are drawn at its ends.
TEST(SurfaceMesh, AFixedRangeSpansTheGivenLossesAndClampsTheOthers) {
  SurfaceFigure figure = std::get<SurfaceFigure>(syntheticFigure("surface"));
  figure.scale.fixedLo = 0.5;
  figure.scale.fixedHi = 2.0;
  const SurfaceMesh mesh = buildSurfaceMesh(figure);
  EXPECT_DOUBLE_EQ(mesh.range.lo, 0.5);
  EXPECT_DOUBLE_EQ(mesh.range.hi, 2.0);
  int clamped = 0;
  for (std::size_t i = 0; i < mesh.scalars.size(); ++i) {
    if (!std::isfinite(mesh.scalars[i])) continue;
    EXPECT_GE(mesh.scalars[i], 0.5);
    EXPECT_LE(mesh.scalars[i], 2.0);
    clamped += figure.grid.values[i] > 2.0 || figure.grid.values[i] < 0.5;
  }
  EXPECT_GT(clamped, 0) << "the synthetic surface never leaves the range: the test proves little";
}

TEST(SurfaceMesh, RejectsMalformedGrids) {
  SurfaceFigure figure;
  figure.grid.xs = {0, 1};
  figure.grid.ys = {0, 1};
  figure.grid.values = {1, 2, 3};
  EXPECT_THROW(buildSurfaceMesh(figure), RenderError);
  figure.grid.values = {NAN, NAN, NAN, NAN};
  EXPECT_THROW(buildSurfaceMesh(figure), RenderError);
}

TEST(SyntheticFigures, EveryViewExists) {
  for (const std::string& view : syntheticViews()) EXPECT_NO_THROW(syntheticFigure(view)) << view;
  const SurfaceGrid grid = syntheticSurfaceGrid();
  EXPECT_EQ(grid.values.size(), grid.xs.size() * grid.ys.size());
  EXPECT_NE(grid.nx(), grid.ny());
}

}  // namespace
}  // namespace flatland::render

// Appended: the volume's geometry (three slices and an iso-surface around the minimum).
#include <vtkPolyData.h>

#include "../../render/src/volume_geometry.h"

namespace flatland::render {
namespace {

TEST(VolumeGeometry, SlicesAndIsoSurface) {
  const auto figure = std::get<VolumeFigure>(syntheticFigure("volume"));
  const VolumeGeometry geometry = buildVolumeGeometry(figure);
  // Three slices of (ny-1)(nx-1), (nz-1)(nx-1), (nz-1)(ny-1) quads, two triangles each.
  const auto& g = figure.grid;
  const vtkIdType expected =
      2 * vtkIdType((g.ny() - 1) * (g.nx() - 1) + (g.nz() - 1) * (g.nx() - 1) +
                    (g.nz() - 1) * (g.ny() - 1));
  EXPECT_EQ(geometry.slices->GetNumberOfPolys(), expected);
  EXPECT_GT(geometry.isoSurface->GetNumberOfPolys(), 100);
  EXPECT_GT(geometry.isoScaled, geometry.range.lo);
  EXPECT_LT(geometry.isoScaled, geometry.range.hi);
}

}  // namespace
}  // namespace flatland::render
