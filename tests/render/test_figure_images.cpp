// Image-regression tests: every view rendered at a fixed size from fixed synthetic data and
// compared with a baseline PNG in tests/baselines/.
#include <gtest/gtest.h>

#include <QFile>
#include <QImage>
#include <algorithm>
#include <cmath>
#include <string>

#include "flatland/errors.h"
#include "flatland/render/export_figure.h"
#include "flatland/render/synthetic_figures.h"
#include "image_compare.h"

namespace flatland::render {
namespace {

using test::checkAgainstBaseline;
using test::haveDisplay;
using test::outputPath;

// Why the tolerances differ: the 2-D views are painted by Qt's raster engine, which is exact from
// run to run, so only a different FreeType/font build may move text by a pixel: mean 0.6 of 255,
// 0.02 % of pixels (about 60 at 640 x 480; a missing marker or tick label is more). The 3-D views
// are rendered by Mesa's llvmpipe through VTK; Mesa updates change edge rasterisation and shading
// slightly, so they get mean 2.0 and 0.3 % of pixels, still far below what a missing surface,
// axis or colour bar costs (mean > 8).
constexpr test::Tolerance kPainted{0.6, 0.0002};
constexpr test::Tolerance kRendered{2.0, 0.003};

struct ImageCase {
  std::string view;
  test::Tolerance tolerance;
  int width = 640;  // at 150 DPI: 4.3 x 3.2 in, large enough to read every label in review
  int height = 480;
};

void PrintTo(const ImageCase& c, std::ostream* os) { *os << c.view; }

std::vector<ImageCase> imageCases() {
  // The comparison is a full-width figure (two panels side by side): 6.4 x 2.8 in.
  return {{"surface", kRendered}, {"comparison", kRendered, 960, 420},
          {"volume", kRendered},  {"contour", kPainted},
          {"curves", kPainted},   {"density", kPainted},
          {"bars", kPainted},     {"lines", kPainted}};
}

ExportOptions baselineOptions(int width = 640, int height = 480) {
  ExportOptions options;
  options.width = width;
  options.height = height;
  options.dpi = 150;
  return options;
}

class FigureImage : public ::testing::TestWithParam<ImageCase> {};

TEST_P(FigureImage, MatchesBaseline) {
  const ImageCase& c = GetParam();
  const Figure figure = syntheticFigure(c.view);
  if (isThreeDimensional(figure) && !haveDisplay())
    GTEST_SKIP() << "3-D views render through X: run under xvfb-run";
  const std::string file = outputPath(c.view + ".png");
  exportFigure(figure, file, baselineOptions(c.width, c.height));
  const QImage image(QString::fromStdString(file));
  ASSERT_EQ(image.width(), c.width);
  ASSERT_EQ(image.height(), c.height);
  // PNGs carry their DPI, so a paper's LaTeX places them at the intended size.
  EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, 150.0, 0.5);
  const std::string problem = checkAgainstBaseline("figure_" + c.view, file, c.tolerance);
  EXPECT_TRUE(problem.empty()) << problem;
}

INSTANTIATE_TEST_SUITE_P(Views, FigureImage, ::testing::ValuesIn(imageCases()),
                         [](const auto& info) { return info.param.view; });

// The landscape options together: log scale, clipping, points not computed (NaN, as an
// unfinished job leaves them) and another colour map. Same tolerances as above.
SurfaceFigure unfinishedLogSurface(ColorMapName map) {
  SurfaceFigure figure = std::get<SurfaceFigure>(syntheticFigure("surface"));
  figure.title = "log scale, clipped at 2, unfinished";
  figure.scale.logScale = true;
  figure.scale.clipMax = 2.0;
  figure.colorMap = map;
  const std::size_t nx = figure.grid.nx();
  // The last 6 rows are not computed yet, and a hole in the middle of row 5.
  for (std::size_t iy = figure.grid.ny() - 6; iy < figure.grid.ny(); ++iy)
    for (std::size_t ix = 0; ix < nx; ++ix) figure.grid.values[iy * nx + ix] = std::nan("");
  for (std::size_t ix = 10; ix < 20; ++ix) figure.grid.values[5 * nx + ix] = std::nan("");
  return figure;
}

TEST(FigureImageOptions, ContourLogClipMissingMagma) {
  const std::string file = outputPath("contour_log.png");
  exportFigure(ContourMapFigure{unfinishedLogSurface(ColorMapName::Magma)}, file,
               baselineOptions());
  const std::string problem = checkAgainstBaseline("figure_contour_log", file, kPainted);
  EXPECT_TRUE(problem.empty()) << problem;
}

TEST(FigureImageOptions, SurfaceLogClipMissingPlasma) {
  if (!haveDisplay()) GTEST_SKIP() << "3-D views render through X: run under xvfb-run";
  const std::string file = outputPath("surface_log.png");
  exportFigure(unfinishedLogSurface(ColorMapName::Plasma), file, baselineOptions());
  const std::string problem = checkAgainstBaseline("figure_surface_log", file, kRendered);
  EXPECT_TRUE(problem.empty()) << problem;
}

// Not a baseline: a transparent surface must have see-through corners and an opaque surface.
// Class sizes of long-tailed data on a log x axis: decades are equally spaced, and a point at
// x = 0 (a class with no sample) is left out instead of breaking the figure.
TEST(FigureImageOptions, CurvesOnALogXAxisSpaceDecadesEvenly) {
  CurvesFigure figure;
  figure.logX = true;
  figure.xLabel = "training samples of the class";
  figure.left.push_back({"\u03bb_min", {0, 10, 100, 1000}, {-1, -1, -1, -1}, false, true, false});
  const std::string file = outputPath("curves_log_x.png");
  exportFigure(figure, file, baselineOptions());
  const QImage image(QString::fromStdString(file));
  // The coloured columns (the markers): three runs of columns, equally far apart.
  std::vector<int> columns;
  for (int x = 0; x < image.width(); ++x)
    for (int y = 0; y < image.height(); ++y)
      if (image.pixelColor(x, y).hsvSaturation() > 80) {
        columns.push_back(x);
        break;
      }
  std::vector<double> centres;
  for (std::size_t i = 0; i < columns.size();) {
    std::size_t j = i;
    while (j + 1 < columns.size() && columns[j + 1] == columns[j] + 1) ++j;
    centres.push_back(0.5 * (columns[i] + columns[j]));
    i = j + 1;
  }
  ASSERT_EQ(centres.size(), 3u) << "one marker per positive x";
  EXPECT_NEAR(centres[2] - centres[1], centres[1] - centres[0], 1.5);
  EXPECT_GT(centres[1] - centres[0], image.width() / 6);
}

TEST(FigureImageTransparency, SurfaceHasTransparentBackground) {
  if (!haveDisplay()) GTEST_SKIP() << "3-D views render through X: run under xvfb-run";
  ExportOptions options = baselineOptions();
  options.transparent = true;
  const std::string file = outputPath("surface_transparent.png");
  exportFigure(syntheticFigure("surface"), file, options);
  const QImage image = QImage(QString::fromStdString(file)).convertToFormat(QImage::Format_ARGB32);
  ASSERT_FALSE(image.isNull());
  EXPECT_TRUE(image.hasAlphaChannel());
  EXPECT_EQ(qAlpha(image.pixel(2, 2)), 0);
  EXPECT_EQ(qAlpha(image.pixel(image.width() - 3, image.height() - 3)), 0);
  int opaque = 0;
  for (int y = 0; y < image.height(); y += 4)
    for (int x = 0; x < image.width(); x += 4) opaque += qAlpha(image.pixel(x, y)) == 255;
  EXPECT_GT(opaque, image.width() * image.height() / 16 / 10) << "too little of the figure drawn";
}

TEST(FigureImageTransparency, ChartHasTransparentBackground) {
  ExportOptions options = baselineOptions();
  options.transparent = true;
  const std::string file = outputPath("curves_transparent.png");
  exportFigure(syntheticFigure("curves"), file, options);
  const QImage image = QImage(QString::fromStdString(file)).convertToFormat(QImage::Format_ARGB32);
  EXPECT_EQ(qAlpha(image.pixel(1, 1)), 0);
}

// Size and DPI are honoured; the same figure at double DPI keeps its layout proportions.
TEST(FigureImageSize, HonoursPixelSizeAndDpi) {
  ExportOptions options;
  options.width = 1050;
  options.height = 780;
  options.dpi = 300;
  const std::string file = outputPath("density_300dpi.png");
  exportFigure(syntheticFigure("density"), file, options);
  const QImage image(QString::fromStdString(file));
  EXPECT_EQ(image.size(), QSize(1050, 780));
  EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, 300.0, 0.5);
}

// A 3-D figure larger than the X screen (Xvfb here is 1280 x 1024; the offscreen window is twice
// the figure's size for anti-aliasing) still renders whole.
TEST(FigureImageSize, SurfaceLargerThanTheScreen) {
  if (!haveDisplay()) GTEST_SKIP() << "3-D views render through X: run under xvfb-run";
  ExportOptions options;
  options.width = 2100;
  options.height = 1560;
  options.dpi = 600;  // a 3.5 x 2.6 in figure at print resolution
  const std::string file = outputPath("surface_600dpi.png");
  exportFigure(syntheticFigure("surface"), file, options);
  const QImage image(QString::fromStdString(file));
  ASSERT_EQ(image.size(), QSize(2100, 1560));
  // The surface fills a good part of the frame, in colour, also in its lower right quarter.
  int coloured = 0, lowerRight = 0;
  for (int y = 0; y < image.height(); y += 4)
    for (int x = 0; x < image.width(); x += 4) {
      const QColor c = image.pixelColor(x, y);
      if (c.hsvSaturation() > 80 && c.value() > 40) {
        ++coloured;
        lowerRight += x > image.width() / 2 && y > image.height() / 2;
      }
    }
  EXPECT_GT(coloured, (image.width() / 4) * (image.height() / 4) / 8);
  EXPECT_GT(lowerRight, 100);
}

TEST(FigureImageErrors, BadInputsThrowRenderError) {
  EXPECT_THROW(exportFigure(syntheticFigure("curves"), outputPath("x.jpg")), RenderError);
  ExportOptions tiny;
  tiny.width = 2;
  EXPECT_THROW(exportFigure(syntheticFigure("curves"), outputPath("x.png"), tiny), RenderError);
  SurfaceFigure broken;
  broken.grid.xs = {0, 1, 2};
  broken.grid.ys = {0, 1};
  broken.grid.values = {1, 2, 3};  // needs 6
  QFile::remove(QString::fromStdString(outputPath("broken.svg")));
  EXPECT_THROW(exportFigure(ContourMapFigure{broken}, outputPath("broken.svg")), RenderError);
  EXPECT_FALSE(QFile::exists(QString::fromStdString(outputPath("broken.svg"))))
      << "a failed export left a partial file";
  EXPECT_THROW(exportFigure(CurvesFigure{}, outputPath("empty.pdf")), RenderError);
  EXPECT_FALSE(QFile::exists(QString::fromStdString(outputPath("empty.pdf"))));
  EXPECT_THROW(exportFigure(syntheticFigure("curves"), "/nonexistent-dir/x.png"), RenderError);
  EXPECT_THROW(syntheticFigure("nonsense"), RenderError);
}

// A run of one epoch has one point per curve: it is drawn as a marker, not left out because it
// makes no line.
TEST(FigureImageOptions, ASeriesOfOnePointIsDrawnAsAMarker) {
  CurvesFigure figure;
  // No labels, so no legend swatch in the same colour.
  figure.left.push_back({"", {1.0}, {0.8}});
  figure.left.push_back({"", {0.5, 1.5}, {0.2, 0.9}});
  const std::string file = outputPath("one_point.png");
  exportFigure(figure, file, baselineOptions());
  const QImage image(QString::fromStdString(file));
  const QRgb first = qRgb(0x00, 0x72, 0xb2);  // seriesColor(0)
  int count = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x) count += image.pixel(x, y) == first;
  EXPECT_GT(count, 4) << "the single point is not drawn";
}

// The picture beside a contour map (an input-space surface's sample): every pixel of a pure green
// 7 x 5 RGB image becomes a square block of the same green to the right of the colour bar, with
// the image's aspect, and the map itself keeps its place on the left. Not a baseline: the
// image's pixels are checked directly.
TEST(FigureImageOptions, ContourMapDrawsItsSampleImageBesideTheColourBar) {
  ContourMapFigure figure{std::get<ContourMapFigure>(syntheticFigure("contour")).surface,
                          SampleImage{7, 5, 3, {}, "a green sample"}};
  for (int i = 0; i < 7 * 5; ++i)
    figure.image->pixels.insert(figure.image->pixels.end(), {0, 1, 0});
  const std::string file = outputPath("contour_with_image.png");
  exportFigure(figure, file, baselineOptions());
  const QImage image(QString::fromStdString(file));
  int left = image.width(), right = -1, top = image.height(), bottom = -1, count = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      if (image.pixel(x, y) == qRgb(0, 255, 0)) {
        ++count;
        left = std::min(left, x), right = std::max(right, x);
        top = std::min(top, y), bottom = std::max(bottom, y);
      }
  ASSERT_GT(count, 0) << "the image is not drawn";
  const int width = right - left + 1, height = bottom - top + 1;
  EXPECT_GT(left, image.width() * 7 / 10) << "the image is not right of the colour bar";
  EXPECT_NEAR(double(height) / double(width), 5.0 / 7.0, 0.05) << "aspect lost";
  EXPECT_GT(count, width * height * 9 / 10) << "the image has holes";

  figure.image->pixels.pop_back();
  EXPECT_THROW(exportFigure(figure, outputPath("broken_image.png")), RenderError);
}

// Small multiples (#13 item 3): four series on an 800 x 600 page become panels in a grid of
// three columns and two rows (about as wide as the page), each with its curve; the grid's last
// cells stay empty. Pixels of the curves' colour are counted per cell.
TEST(FigureImageOptions, SmallMultiplesDrawOnePanelPerSeries) {
  CurvesFigure figure;
  figure.title = "per-class accuracy";
  for (int k = 0; k < 4; ++k)
    figure.left.push_back(
        {"class " + std::to_string(k), {0, 1, 2, 3}, {0.1 * k, 0.5, 0.6 + 0.05 * k, 0.9}});
  figure.smallMultiples = true;
  ExportOptions options;
  options.width = 800;
  options.height = 600;
  const std::string file = outputPath("small_multiples.png");
  PlotFrame frame;
  exportFigure(figure, file, options, &frame);
  EXPECT_FALSE(frame.valid) << "the outer page has no single plot to zoom or hover";
  const QImage image(QString::fromStdString(file));
  const QRgb colour = qRgb(0x00, 0x72, 0xb2);  // seriesColor(0): each panel's only series
  const int top = 40, cellW = 800 / 3, cellH = (600 - top) / 2;
  std::vector<int> counts(6, 0);
  for (int y = top; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      if (image.pixel(x, y) == colour)
        ++counts[std::min(1, (y - top) / cellH) * 3 + std::min(2, x / cellW)];
  for (int cell = 0; cell < 4; ++cell) EXPECT_GT(counts[cell], 50) << "cell " << cell;
  EXPECT_EQ(counts[4] + counts[5], 0) << "a panel beyond the series";
  // The same figure overlaid draws one plot, and its frame can be zoomed.
  figure.smallMultiples = false;
  exportFigure(figure, outputPath("overlaid.png"), options, &frame);
  EXPECT_TRUE(frame.valid);
}

}  // namespace
}  // namespace flatland::render
