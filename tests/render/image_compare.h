// Image-regression checks in the manner of F3D: an output image against a baseline PNG with a
// per-test threshold; a missing baseline writes the output and fails (that is how baselines are
// made: look at the image, then copy it into tests/baselines/).
#pragma once

#include <QImage>
#include <string>

namespace flatland::render::test {

// Where test outputs go (build tree).
std::string outputPath(const std::string& fileName);
std::string baselinePath(const std::string& name);

struct ImageDifference {
  double meanAbsolute = 0.0;  // mean |difference| over all pixels and RGBA channels (0..255)
  double fractionOff = 0.0;   // fraction of pixels with some channel differing by more than 48
};

ImageDifference compareImages(const QImage& a, const QImage& b);

// How far an output may stray from its baseline. The mean catches global changes (colours,
// layout); the fraction of visibly different pixels catches small local ones (a missing marker
// or label) that the mean dilutes.
struct Tolerance {
  double meanAbsolute;
  double fractionOff;
};

// Succeeds when the PNG at `outputFile` matches tests/baselines/<name>.png within `tolerance`;
// otherwise says why and writes a difference image beside it. Empty string on success.
std::string checkAgainstBaseline(const std::string& name, const std::string& outputFile,
                                 Tolerance tolerance);

bool haveDisplay();

}  // namespace flatland::render::test
