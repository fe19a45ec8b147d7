#include "image_compare.h"

#include <QDir>
#include <QFileInfo>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace flatland::render::test {

std::string outputPath(const std::string& fileName) {
  QDir().mkpath(QStringLiteral(FLATLAND_TEST_OUTPUT_DIR));
  return std::string(FLATLAND_TEST_OUTPUT_DIR) + "/" + fileName;
}

std::string baselinePath(const std::string& name) {
  return std::string(FLATLAND_BASELINE_DIR) + "/" + name + ".png";
}

bool haveDisplay() {
  const char* display = std::getenv("DISPLAY");
  return display && *display;
}

ImageDifference compareImages(const QImage& first, const QImage& second) {
  const QImage a = first.convertToFormat(QImage::Format_RGBA8888);
  const QImage b = second.convertToFormat(QImage::Format_RGBA8888);
  ImageDifference result;
  double total = 0.0;
  std::size_t off = 0;
  for (int y = 0; y < a.height(); ++y) {
    const uchar* pa = a.constScanLine(y);
    const uchar* pb = b.constScanLine(y);
    for (int x = 0; x < a.width(); ++x) {
      int worst = 0;
      for (int c = 0; c < 4; ++c) {
        const int d = std::abs(int(pa[4 * x + c]) - int(pb[4 * x + c]));
        total += d;
        worst = std::max(worst, d);
      }
      if (worst > 48) ++off;
    }
  }
  const double pixels = double(a.width()) * a.height();
  result.meanAbsolute = total / (pixels * 4.0);
  result.fractionOff = double(off) / pixels;
  return result;
}

std::string checkAgainstBaseline(const std::string& name, const std::string& outputFile,
                                 Tolerance tolerance) {
  const QImage output(QString::fromStdString(outputFile));
  if (output.isNull()) return "the output image " + outputFile + " cannot be read";
  const std::string baselineFile = baselinePath(name);
  if (!QFileInfo::exists(QString::fromStdString(baselineFile)))
    return "no baseline " + baselineFile + "; look at " + outputFile +
           " and, if it is right, copy it there";
  const QImage baseline(QString::fromStdString(baselineFile));
  if (baseline.size() != output.size()) {
    std::ostringstream text;
    text << "size " << output.width() << "x" << output.height() << " differs from the baseline's "
         << baseline.width() << "x" << baseline.height();
    return text.str();
  }
  const ImageDifference difference = compareImages(output, baseline);
  if (difference.meanAbsolute <= tolerance.meanAbsolute &&
      difference.fractionOff <= tolerance.fractionOff)
    return {};
  // A picture of where they differ, to look at beside the output.
  QImage diff(output.size(), QImage::Format_RGB32);
  const QImage a = output.convertToFormat(QImage::Format_RGBA8888);
  const QImage b = baseline.convertToFormat(QImage::Format_RGBA8888);
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) {
      int worst = 0;
      for (int c = 0; c < 4; ++c)
        worst = std::max(worst, std::abs(int(a.constScanLine(y)[4 * x + c]) -
                                         int(b.constScanLine(y)[4 * x + c])));
      diff.setPixel(x, y, qRgb(std::min(255, worst * 4), 0, 0));
    }
  const std::string diffFile = outputFile.substr(0, outputFile.size() - 4) + ".diff.png";
  diff.save(QString::fromStdString(diffFile));
  std::ostringstream text;
  text << "mean absolute difference " << difference.meanAbsolute << " (allowed "
       << tolerance.meanAbsolute << "), " << difference.fractionOff * 100
       << "% of pixels differ visibly (allowed " << tolerance.fractionOff * 100 << "%); see "
       << diffFile;
  return text.str();
}

}  // namespace flatland::render::test
