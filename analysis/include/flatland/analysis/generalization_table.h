// Which flatness measure predicts generalisation here? Each measure of several models against
// their generalisation gaps, ranked by Kendall's τ (Jiang et al. 2019), and how the table is
// stored (kind = "generalization", docs/project-file.md).
#pragma once

#include <string>
#include <vector>

#include "flatland/analysis/provenance.h"
#include "flatland/analysis/sharpness_analysis.h"

namespace flatland::analysis {

// Kendall's τ-a, (concordant − discordant) / (n(n − 1)/2), over the pairs where both values are
// finite; a pair tied in either value counts as neither. NaN with fewer than two finite pairs.
double kendallTau(const std::vector<double>& x, const std::vector<double>& y);

struct MeasureColumn {
  std::string name;            // "lambda_max", "worst_case_rho_0.05", …
  std::vector<double> values;  // one per model, NaN where the model has no such measure
  double tauAccuracyGap = 0.0, tauLossGap = 0.0;
};

struct GeneralizationTable {
  std::vector<std::string> models;           // a label each (run names)
  std::vector<double> gapAccuracy, gapLoss;  // train − test accuracy, test − train loss
  std::vector<MeasureColumn> measures;
};

// The measures every report holds (each needs a test set: InvalidArgument otherwise):
// lambda_max, trace, worst_case_rho_R and random_rho_R per radius, gaussian_sigma_S per σ,
// pac_bayes_inverse_sigma2 (1/σ², larger is sharper, as in Jiang et al.), fisher_rao_norm,
// relative_flatness, weight_norm.
GeneralizationTable generalizationTable(const std::vector<std::string>& models,
                                        const std::vector<SharpnessReport>& reports);

// The table as an analysis group: attribute `models`, datasets gap_accuracy [M], gap_loss [M],
// measures/NAME [M] (attribute measures/names: their order), and kendall_tau_accuracy_gap [K],
// kendall_tau_loss_gap [K] in that order.
training::Node generalizationNode(const GeneralizationTable& table, const Provenance& provenance);

}  // namespace flatland::analysis
