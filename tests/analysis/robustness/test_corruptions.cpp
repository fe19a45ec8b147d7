// The noise corruptions follow their CIFAR-10-C definitions: checked by their statistics on
// large constant images (tolerances: several standard errors of the sample statistics).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/types.h>

#include <cmath>

#include "flatland/analysis/corruptions.h"
#include "flatland/errors.h"
#include "robustness_fixtures.h"

namespace {

using namespace flatland;
using namespace flatland::analysis;

at::Tensor constantImage(double value) {
  return torch::full({1, 1, 400, 500}, value, torch::kFloat);
}

TEST(Corruptions, GaussianAndSpeckleNoiseHaveTheirStandardDeviations) {
  auto gen = at::detail::createCPUGenerator(1);
  for (int severity = 1; severity <= 5; ++severity) {
    const double c = corruptionConstant("gaussian_noise", severity);
    auto noisy =
        corruptPixels(constantImage(0.5), "gaussian_noise", severity, gen).to(torch::kDouble);
    EXPECT_NEAR(noisy.mean().item<double>(), 0.5, 1e-3);  // standard error c/√2e5 ≤ 2.3e-4
    EXPECT_NEAR(noisy.std().item<double>(), c, 0.02 * c);
    const double s = corruptionConstant("speckle_noise", severity);
    auto speckled =
        corruptPixels(constantImage(0.5), "speckle_noise", severity, gen).to(torch::kDouble);
    EXPECT_NEAR(speckled.std().item<double>(), 0.5 * s, 0.02 * 0.5 * s);  // x + x·N(0, s²)
  }
}

TEST(Corruptions, ShotNoiseIsPoissonInPhotonCounts) {
  auto gen = at::detail::createCPUGenerator(2);
  const double x = 0.4;
  for (int severity = 1; severity <= 5; ++severity) {
    const double c = corruptionConstant("shot_noise", severity);
    auto noisy = corruptPixels(constantImage(x), "shot_noise", severity, gen).to(torch::kDouble);
    EXPECT_NEAR(noisy.mean().item<double>(), x, 1e-3);
    EXPECT_NEAR(noisy.var().item<double>(), x / c, 0.03 * x / c);  // Poisson(cx)/c: variance x/c
    // Values are multiples of 1/c.
    auto counts = noisy * c;
    EXPECT_LT((counts - counts.round()).abs().max().item<double>(), 1e-3);
  }
}

TEST(Corruptions, ImpulseNoiseSetsItsFractionToBlackOrWhite) {
  auto gen = at::detail::createCPUGenerator(3);
  for (int severity = 1; severity <= 5; ++severity) {
    const double c = corruptionConstant("impulse_noise", severity);
    auto noisy = corruptPixels(constantImage(0.5), "impulse_noise", severity, gen);
    const double changed = (noisy != 0.5).to(torch::kDouble).mean().item<double>();
    const double white = (noisy == 1.0).to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(changed, c, 5 * std::sqrt(c / 2e5));
    EXPECT_NEAR(white, c / 2, 5 * std::sqrt(c / 4e5));
  }
}

TEST(Corruptions, StayValidPixelsAndRepeatWithTheirSeed) {
  auto image = torch::rand({4, 3, 8, 8}, at::detail::createCPUGenerator(9), torch::kFloat);
  for (const auto& name : corruptionNames())
    for (int severity = 1; severity <= 5; ++severity) {
      auto a = at::detail::createCPUGenerator(5), b = at::detail::createCPUGenerator(5);
      auto first = corruptPixels(image, name, severity, a);
      EXPECT_TRUE(torch::equal(first, corruptPixels(image, name, severity, b))) << name;
      EXPECT_GE(first.min().item<double>(), 0.0) << name;
      EXPECT_LE(first.max().item<double>(), 1.0) << name;
    }
  auto gen = at::detail::createCPUGenerator(1);
  EXPECT_THROW(corruptPixels(image, "fog", 1, gen), InvalidArgument);
  EXPECT_THROW(corruptPixels(image, "gaussian_noise", 6, gen), InvalidArgument);
}

TEST(Corruptions, AccuracyTableCoversEveryCorruptionAndSeverity) {
  auto data = flatland::testing::pixelImages(300, 4);  // more than one noise block
  auto model = flatland::testing::zoo("mlp", data, 2);
  InputSpace space(data, InputUnits::Data, true);
  auto r = corruptionAccuracy(*model, data, space, 64, 0);
  ASSERT_EQ(r.accuracy.size(), corruptionNames().size());
  double sum = 0;
  for (const auto& row : r.accuracy) {
    ASSERT_EQ(row.size(), 5u);
    for (double a : row) {
      EXPECT_GE(a, 0.0);
      EXPECT_LE(a, 1.0);
      sum += a;
    }
  }
  EXPECT_NEAR(r.meanAccuracy, sum / 20, 1e-12);
  // The same seed gives the same table, whatever the batch size.
  auto again = corruptionAccuracy(*model, data, space, 7, 0);
  EXPECT_EQ(again.accuracy, r.accuracy);
}

}  // namespace
