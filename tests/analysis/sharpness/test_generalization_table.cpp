// Kendall's τ against hand-counted pairs, and the generalisation table built from reports.
#include <gtest/gtest.h>

#include <cmath>

#include "flatland/analysis/generalization_table.h"
#include "flatland/errors.h"

namespace {

using namespace flatland;
using namespace flatland::analysis;

TEST(KendallTau, CountsConcordantAndDiscordantPairs) {
  EXPECT_DOUBLE_EQ(kendallTau({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(kendallTau({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // Pairs of (1,3) (2,1) (3,2): (12) discordant, (13) discordant, (23) concordant → (1 − 2)/3.
  EXPECT_DOUBLE_EQ(kendallTau({1, 2, 3}, {3, 1, 2}), -1.0 / 3.0);
  // A tie counts as neither (τ-a): pairs (12) tie, (13) concordant, (23) concordant → 2/3.
  EXPECT_DOUBLE_EQ(kendallTau({1, 1, 2}, {1, 2, 3}), 2.0 / 3.0);
  // NaN entries leave their pairs out.
  EXPECT_DOUBLE_EQ(kendallTau({1, NAN, 2, 3}, {1, 5, 2, 3}), 1.0);
  EXPECT_TRUE(std::isnan(kendallTau({1, NAN}, {1, 2})));
  EXPECT_THROW(kendallTau({1, 2}, {1}), InvalidArgument);
}

SharpnessReport report(double gapAccuracy, double lambdaMax, double worst) {
  SharpnessReport r;
  r.hasTest = true;
  r.gapAccuracy = gapAccuracy;
  r.gapLoss = 2 * gapAccuracy;
  r.hasHessian = true;
  r.lambdaMax = lambdaMax;
  r.trace = 10 * lambdaMax;
  WorstCaseResult w;
  w.rho = 0.05;
  w.sharpness = worst;
  r.worstCase.push_back(w);
  PacBayesFlatness p;
  p.sigma = 1.0 / lambdaMax;
  r.pacBayes = p;
  r.weightNorms.total = 1.0;
  return r;
}

TEST(GeneralizationTable, RanksEveryMeasureAgainstBothGaps) {
  auto t = generalizationTable({"a", "b", "c"},
                               {report(0.01, 1, 0.3), report(0.02, 2, 0.2), report(0.03, 3, 0.1)});
  ASSERT_EQ(t.gapAccuracy, (std::vector<double>{0.01, 0.02, 0.03}));
  auto find = [&](const std::string& name) -> const MeasureColumn& {
    for (const auto& m : t.measures)
      if (m.name == name) return m;
    throw std::runtime_error("no measure " + name);
  };
  EXPECT_DOUBLE_EQ(find("lambda_max").tauAccuracyGap, 1.0);
  EXPECT_DOUBLE_EQ(find("trace").tauLossGap, 1.0);
  EXPECT_DOUBLE_EQ(find("worst_case_rho_0.05").tauAccuracyGap, -1.0);
  // 1/σ² grows with λ_max here: larger is sharper, so it ranks like λ_max.
  EXPECT_DOUBLE_EQ(find("pac_bayes_inverse_sigma2").tauAccuracyGap, 1.0);
  EXPECT_NEAR(find("pac_bayes_inverse_sigma2").values[1], 4.0, 1e-12);
  EXPECT_DOUBLE_EQ(find("weight_norm").tauAccuracyGap, 0.0);  // all tied
}

TEST(GeneralizationTable, NeedsTheTestGapOfEveryModel) {
  auto r = report(0.01, 1, 0.1);
  r.hasTest = false;
  EXPECT_THROW(generalizationTable({"a", "b"}, {report(0.02, 2, 0.2), r}), InvalidArgument);
}

}  // namespace
