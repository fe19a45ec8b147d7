#include "flatland/analysis/generalization_table.h"

#include <cmath>
#include <cstdio>
#include <map>

#include "flatland/errors.h"
#include "flatland/training/project_schema.h"

namespace flatland::analysis {

double kendallTau(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size())
    throw InvalidArgument("Kendall's tau needs two lists of the same length");
  int64_t concordant = 0, discordant = 0, n = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) continue;
    ++n;
    for (size_t j = i + 1; j < x.size(); ++j) {
      if (!std::isfinite(x[j]) || !std::isfinite(y[j])) continue;
      const double s = (x[i] - x[j]) * (y[i] - y[j]);
      if (s > 0) ++concordant;
      if (s < 0) ++discordant;
    }
  }
  if (n < 2) return std::nan("");
  return double(concordant - discordant) / (double(n) * double(n - 1) / 2.0);
}

namespace {

std::string withValue(const std::string& prefix, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%s_%g", prefix.c_str(), value);
  return text;
}

}  // namespace

GeneralizationTable generalizationTable(const std::vector<std::string>& models,
                                        const std::vector<SharpnessReport>& reports) {
  if (models.size() != reports.size())
    throw InvalidArgument("one label per sharpness report is needed");
  GeneralizationTable t;
  t.models = models;
  // Columns in first-seen order; a model without a measure gets NaN there.
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> columns;
  const double nan = std::nan("");
  auto put = [&](size_t model, const std::string& name, double value) {
    if (!columns.count(name)) {
      order.push_back(name);
      columns[name] = std::vector<double>(reports.size(), nan);
    }
    columns[name][model] = value;
  };
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    if (!r.hasTest)
      throw InvalidArgument("the generalisation gap of " + models[i] +
                            " needs test data (--test-data)");
    t.gapAccuracy.push_back(r.gapAccuracy);
    t.gapLoss.push_back(r.gapLoss);
    if (r.hasHessian) {
      put(i, schema::kLambdaMax, r.lambdaMax);
      put(i, schema::kTrace, r.trace);
    }
    for (const auto& w : r.worstCase)
      put(i, withValue(schema::kWorstCaseRhoPrefix, w.rho), w.sharpness);
    for (const auto& p : r.randomProfile)
      put(i, withValue(schema::kRandomRhoPrefix, p.rho), p.increase);
    for (const auto& g : r.gaussian)
      put(i, withValue(schema::kGaussianSigmaPrefix, g.sigma), g.increase);
    if (r.pacBayes && r.pacBayes->sigma > 0)
      put(i, schema::kPacBayesInverseSigma2, 1.0 / (r.pacBayes->sigma * r.pacBayes->sigma));
    if (r.fisherRao) put(i, schema::kFisherRaoNorm, r.fisherRao->norm);
    if (r.relativeFlatness) put(i, schema::kRelativeFlatness, r.relativeFlatness->value);
    put(i, schema::kWeightNorm, r.weightNorms.total);
  }
  for (const auto& name : order) {
    MeasureColumn c;
    c.name = name;
    c.values = columns[name];
    c.tauAccuracyGap = kendallTau(c.values, t.gapAccuracy);
    c.tauLossGap = kendallTau(c.values, t.gapLoss);
    t.measures.push_back(std::move(c));
  }
  return t;
}

training::Node generalizationNode(const GeneralizationTable& t, const Provenance& provenance) {
  training::Node node;
  node.attributes = provenance.toAttributes();
  node.attributes[schema::kModels] = t.models;
  const auto m = int64_t(t.models.size());
  node.datasets[schema::kGapAccuracy] = training::Array::f64(t.gapAccuracy, {m});
  node.datasets[schema::kGapLoss] = training::Array::f64(t.gapLoss, {m});
  auto& measures = node.groups[schema::kMeasures];
  for (const auto& c : t.measures) measures.datasets[c.name] = training::Array::f64(c.values, {m});
  std::vector<std::string> names;
  std::vector<double> tauAccuracy, tauLoss;
  for (const auto& c : t.measures) {
    names.push_back(c.name);
    tauAccuracy.push_back(c.tauAccuracyGap);
    tauLoss.push_back(c.tauLossGap);
  }
  measures.attributes[schema::kNames] = names;
  node.datasets[schema::kKendallTauAccuracyGap] =
      training::Array::f64(tauAccuracy, {int64_t(names.size())});
  node.datasets[schema::kKendallTauLossGap] =
      training::Array::f64(tauLoss, {int64_t(names.size())});
  node.attributes[schema::kComplete] = int64_t(1);
  return node;
}

}  // namespace flatland::analysis
