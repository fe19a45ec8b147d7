// The star on a surface's minimum is painted over the 3-D picture; it must hide where the
// surface stands between the minimum and the viewer (it used to show through a ridge).
#include <gtest/gtest.h>

#include <QImage>
#include <QPainter>

#include "../../render/src/layout_3d.h"
#include "flatland/render/synthetic_figures.h"

namespace flatland::render {
namespace {

// A valley at the back (large y, small x) behind a high plateau at the front (small y).
SurfaceFigure valleyBehindARidge() {
  SurfaceFigure f;
  for (int i = 0; i < 11; ++i) {
    f.grid.xs.push_back(i / 10.0);
    f.grid.ys.push_back(i / 10.0);
  }
  for (int iy = 0; iy < 11; ++iy)
    for (int ix = 0; ix < 11; ++ix) f.grid.values.push_back(iy <= 6 ? 10.0 : 0.2);
  f.grid.values[9 * 11 + 1] = 0.0;  // the minimum, at x = 0.1, y = 0.9
  return f;
}

Panel3D panelOf(const Figure& figure) {
  QImage scratch(800, 600, QImage::Format_ARGB32_Premultiplied);
  QPainter painter(&scratch);
  const PlotPainter out(painter, QRectF(0, 0, 800, 600), 96.0);
  Layout3D layout = layoutFigure3D(figure, out);
  painter.end();
  return layout.panels.at(0);
}

OrthoView viewFrom(const Panel3D& panel, double elevation, double azimuth) {
  return makeOrthoView({0, 0, 0}, panel.axes.size(), elevation, azimuth, 1.0, kBoxMargin);
}

TEST(MinimumStar, HiddenBehindTheSurfaceVisibleOtherwise) {
  const Panel3D panel = panelOf(valleyBehindARidge());
  ASSERT_TRUE(panel.minimum.has_value());
  // matplotlib's default angles look from the front (small y): the plateau hides the valley.
  EXPECT_FALSE(minimumVisible(panel, viewFrom(panel, 30, -60)));
  // From above and from the back nothing stands in front of it.
  EXPECT_TRUE(minimumVisible(panel, viewFrom(panel, 90, -60)));
  EXPECT_TRUE(minimumVisible(panel, viewFrom(panel, 30, 120)));
}

TEST(MinimumStar, ABowlShowsItsMinimumFromTheDefaultAngles) {
  const Figure bowl = syntheticFigure("surface");
  const Panel3D panel = panelOf(bowl);
  ASSERT_TRUE(panel.minimum.has_value());
  EXPECT_TRUE(minimumVisible(panel, panelView(panel)));
}

}  // namespace
}  // namespace flatland::render
