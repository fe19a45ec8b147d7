// PDF and SVG export: valid, non-empty files whose drawing is made of vector paths and text,
// with no embedded raster image, for every view.
#include <gtest/gtest.h>
#include <zlib.h>

#include <QFile>
#include <QImage>
#include <QPainter>
#include <QSvgRenderer>
#include <QXmlStreamReader>
#include <string>

#include "flatland/render/export_figure.h"
#include "flatland/render/synthetic_figures.h"
#include "image_compare.h"

namespace flatland::render {
namespace {

using test::outputPath;

std::string readAll(const std::string& path) {
  QFile file(QString::fromStdString(path));
  if (!file.open(QIODevice::ReadOnly)) return {};
  return file.readAll().toStdString();
}

// Every content stream of a PDF, inflated (QPdfWriter compresses them with Flate).
std::string pdfContent(const std::string& pdf) {
  std::string content;
  std::size_t at = 0;
  while ((at = pdf.find("stream", at)) != std::string::npos) {
    if (at >= 3 && pdf.compare(at - 3, 3, "end") == 0) {
      at += 6;
      continue;
    }
    std::size_t begin = at + 6;
    if (pdf[begin] == '\r') ++begin;
    if (pdf[begin] == '\n') ++begin;
    const std::size_t end = pdf.find("endstream", begin);
    if (end == std::string::npos) break;
    std::string inflated(64 << 20, '\0');
    uLongf size = inflated.size();
    if (uncompress(reinterpret_cast<Bytef*>(inflated.data()), &size,
                   reinterpret_cast<const Bytef*>(pdf.data() + begin), uLong(end - begin)) == Z_OK)
      content.append(inflated.data(), size);
    else
      content.append(pdf, begin, end - begin);
    at = end + 9;
  }
  return content;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

class VectorExport : public ::testing::TestWithParam<std::string> {};

TEST_P(VectorExport, PdfIsVector) {
  const std::string file = outputPath(GetParam() + ".pdf");
  ExportOptions options;  // one column of a paper: 3.5 x 2.6 in
  exportFigure(syntheticFigure(GetParam()), file, options);
  const std::string pdf = readAll(file);
  ASSERT_GT(pdf.size(), 1000u);
  EXPECT_EQ(pdf.rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf.find("%%EOF"), std::string::npos);
  // The page is the figure's size in points: 3.5 in x 2.6 in = 252 x 187.2 pt.
  EXPECT_NE(pdf.find("/MediaBox [0 0 252"), std::string::npos);
  EXPECT_EQ(pdf.find("/Subtype /Image"), std::string::npos) << "a raster image was embedded";
  const std::string content = pdfContent(pdf);
  // Path construction (m, l, re) and painting (f, S, B) operators, and text (Tj/TJ).
  EXPECT_GT(count(content, " m\n") + count(content, " re\n"), 20u);
  EXPECT_GT(count(content, " l\n"), 20u);
  EXPECT_GT(count(content, "f\n") + count(content, "S\n"), 20u);
  EXPECT_GT(count(content, "Tj") + count(content, "TJ"), 3u);
}

TEST_P(VectorExport, SvgIsVector) {
  const std::string file = outputPath(GetParam() + ".svg");
  exportFigure(syntheticFigure(GetParam()), file);
  QFile svg(QString::fromStdString(file));
  ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
  QXmlStreamReader xml(&svg);
  int shapes = 0, texts = 0, images = 0;
  QString width;
  while (!xml.atEnd()) {
    if (xml.readNext() != QXmlStreamReader::StartElement) continue;
    const auto name = xml.name();
    if (name == QLatin1String("svg")) width = xml.attributes().value("width").toString();
    if (name == QLatin1String("path") || name == QLatin1String("polygon") ||
        name == QLatin1String("polyline") || name == QLatin1String("rect") ||
        name == QLatin1String("line"))
      ++shapes;
    if (name == QLatin1String("text")) ++texts;
    if (name == QLatin1String("image")) ++images;
  }
  EXPECT_FALSE(xml.hasError()) << xml.errorString().toStdString();
  EXPECT_EQ(width, QStringLiteral("88.9mm"));  // 3.5 in
  EXPECT_GT(shapes, 20);
  EXPECT_GT(texts, 3);
  EXPECT_EQ(images, 0) << "a raster image was embedded";

  // Qt's own SVG renderer reads it back and draws something (a preview to look at, too).
  QSvgRenderer renderer(QString::fromStdString(file));
  ASSERT_TRUE(renderer.isValid());
  QImage preview(1050, 780, QImage::Format_ARGB32_Premultiplied);
  preview.fill(Qt::white);
  QPainter painter(&preview);
  renderer.render(&painter);
  painter.end();
  preview.save(QString::fromStdString(file + ".png"));
  int inked = 0;
  for (int y = 0; y < preview.height(); y += 3)
    for (int x = 0; x < preview.width(); x += 3)
      inked += preview.pixel(x, y) != qRgb(255, 255, 255);
  EXPECT_GT(inked, 2000);
}

INSTANTIATE_TEST_SUITE_P(Views, VectorExport, ::testing::ValuesIn(syntheticViews()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace flatland::render
