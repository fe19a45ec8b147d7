// flatland-cli sharpness: worst-case, adaptive, average-case and random-direction sharpness over
// radii, PAC-Bayes flatness, λ_max and trace, Fisher–Rao norm, relative flatness, weight norms and
// the generalisation gap of one model, stored as kind = "sharpness".
#include <cmath>
#include <cstdio>

#include "cli_context.h"
#include "job_settings.h"
#include "setting_options.h"
#include "sharpness_job_output.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

nlohmann::json reportJson(const analysis::SharpnessReport& r) {
  nlohmann::json doc;
  doc["parameters"] = r.parameters;
  doc["samples"] = r.samples;
  doc["loss"] = finiteOrNull(r.loss);
  doc["accuracy"] = r.accuracy;
  doc["norm"] = r.norm;
  doc["adaptive"] = r.adaptive;
  doc["m"] = r.m;
  auto worst = nlohmann::json::array();
  for (const auto& w : r.worstCase)
    worst.push_back({{"rho", w.rho},
                     {"loss_increase", finiteOrNull(w.sharpness)},
                     {"loss", finiteOrNull(w.perturbedLoss)},
                     {"accuracy", w.perturbedAccuracy},
                     {"sub_batches", w.subBatches},
                     {"gradients", w.gradients}});
  doc["worst_case"] = worst;
  auto random = nlohmann::json::array();
  for (const auto& p : r.randomProfile)
    random.push_back({{"rho", p.rho},
                      {"loss_increase", finiteOrNull(p.increase)},
                      {"loss_mean", finiteOrNull(p.lossMean)},
                      {"loss_std", finiteOrNull(p.lossStd)},
                      {"accuracy_mean", p.accuracyMean},
                      {"accuracy_std", p.accuracyStd}});
  doc["random_directions"] = random;
  auto gaussian = nlohmann::json::array();
  for (const auto& g : r.gaussian)
    gaussian.push_back({{"sigma", g.sigma},
                        {"loss_increase", finiteOrNull(g.increase)},
                        {"loss_increase_stderr", finiteOrNull(g.increaseStderr)},
                        {"accuracy", g.accuracy},
                        {"draws", g.draws}});
  doc["gaussian"] = gaussian;
  doc["pac_bayes"] = r.pacBayes ? nlohmann::json{{"sigma", r.pacBayes->sigma},
                                                 {"threshold", r.pacBayes->threshold},
                                                 {"loss_increase", r.pacBayes->increase},
                                                 {"sigma_upper", r.pacBayes->sigmaUpper},
                                                 {"bracketed", r.pacBayes->bracketed}}
                                : nlohmann::json(nullptr);
  doc["lambda_max"] = r.hasHessian ? finiteOrNull(r.lambdaMax) : nlohmann::json(nullptr);
  doc["trace"] = r.hasHessian ? nlohmann::json{{"mean", r.trace}, {"stderr", r.traceStderr}}
                              : nlohmann::json(nullptr);
  doc["fisher_rao_norm"] = r.fisherRao ? finiteOrNull(r.fisherRao->norm) : nlohmann::json(nullptr);
  doc["relative_flatness"] = r.relativeFlatness
                                 ? nlohmann::json{{"value", r.relativeFlatness->value},
                                                  {"stderr", r.relativeFlatness->standardError},
                                                  {"parameter", r.relativeFlatness->parameter},
                                                  {"exact", r.relativeFlatness->exact}}
                                 : nlohmann::json(nullptr);
  doc["weight_norms"] = {{"total", r.weightNorms.total},
                         {"names", r.weightNorms.names},
                         {"norms", r.weightNorms.norms}};
  doc["generalization_gap"] = r.hasTest ? nlohmann::json{{"test_loss", r.testLoss},
                                                         {"test_accuracy", r.testAccuracy},
                                                         {"loss", r.gapLoss},
                                                         {"accuracy", r.gapAccuracy}}
                                        : nlohmann::json(nullptr);
  return doc;
}

void printReport(const analysis::SharpnessReport& r) {
  std::printf("loss %.6f, accuracy %.4f on %lld samples (%lld parameters)\n", r.loss, r.accuracy,
              static_cast<long long>(r.samples), static_cast<long long>(r.parameters));
  if (!r.worstCase.empty()) {
    std::printf("worst case (%s%s%s)      rho: increase, loss, accuracy\n", r.norm.c_str(),
                r.adaptive ? ", adaptive" : "", r.m ? (", m=" + std::to_string(r.m)).c_str() : "");
    for (const auto& w : r.worstCase)
      std::printf("  %-10g %.6g  %.6g  %.4f\n", w.rho, w.sharpness, w.perturbedLoss,
                  w.perturbedAccuracy);
    std::printf("random filter-normalised  rho: increase, loss ± std, accuracy ± std\n");
    for (const auto& p : r.randomProfile)
      std::printf("  %-10g %.6g  %.6g ± %.2g  %.4f ± %.2g\n", p.rho, p.increase, p.lossMean,
                  p.lossStd, p.accuracyMean, p.accuracyStd);
  }
  if (!r.gaussian.empty()) {
    std::printf("gaussian                  sigma: increase ± stderr, accuracy\n");
    for (const auto& g : r.gaussian)
      std::printf("  %-10g %.6g ± %.2g  %.4f\n", g.sigma, g.increase, g.increaseStderr, g.accuracy);
  }
  if (r.pacBayes)
    std::printf("PAC-Bayes sigma           %.6g (increase %.4g <= %g)%s\n", r.pacBayes->sigma,
                r.pacBayes->increase, r.pacBayes->threshold,
                r.pacBayes->bracketed ? "" : "  (not bracketed: the limit)");
  if (r.hasHessian)
    std::printf("lambda_max                %.6g%s\ntrace                     %.6g ± %.2g\n",
                r.lambdaMax, r.lambdaMaxConverged ? "" : "  (not converged)", r.trace,
                r.traceStderr);
  if (r.fisherRao) std::printf("Fisher-Rao norm           %.6g\n", r.fisherRao->norm);
  if (r.relativeFlatness)
    std::printf("relative flatness         %.6g ± %.2g (%s)\n", r.relativeFlatness->value,
                r.relativeFlatness->standardError, r.relativeFlatness->parameter.c_str());
  std::printf("weight norm               %.6g\n", r.weightNorms.total);
  if (r.hasTest)
    std::printf("generalisation gap        loss %.6g (test %.6g), accuracy %.4f (test %.4f)\n",
                r.gapLoss, r.testLoss, r.gapAccuracy, r.testAccuracy);
}

nlohmann::json tableJson(const analysis::GeneralizationTable& t) {
  nlohmann::json doc;
  doc["runs"] = t.models;
  doc["gap_accuracy"] = t.gapAccuracy;
  doc["gap_loss"] = t.gapLoss;
  doc["measures"] = nlohmann::json::array();
  for (const auto& m : t.measures) {
    doc["measures"].push_back({{"name", m.name},
                               {"values", finiteOrNull(m.values)},
                               {"kendall_tau_accuracy_gap", finiteOrNull(m.tauAccuracyGap)},
                               {"kendall_tau_loss_gap", finiteOrNull(m.tauLossGap)}});
  }
  return doc;
}

void printTable(const analysis::GeneralizationTable& t) {
  std::printf("%-28s %8s %8s", "measure", "tau(acc)", "tau(loss)");
  for (const auto& m : t.models) std::printf("  %12.12s", m.c_str());
  std::printf("\n%-28s %8s %8s", "generalisation gap (acc)", "", "");
  for (double g : t.gapAccuracy) std::printf("  %12.4g", g);
  std::printf("\n%-28s %8s %8s", "generalisation gap (loss)", "", "");
  for (double g : t.gapLoss) std::printf("  %12.4g", g);
  std::printf("\n");
  for (const auto& m : t.measures) {
    std::printf("%-28s %8.3f %8.3f", m.name.c_str(), m.tauAccuracyGap, m.tauLossGap);
    for (double v : m.values) std::printf("  %12.4g", v);
    std::printf("\n");
  }
}

}  // namespace

Command addSharpnessCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("sharpness",
                                 "weight-space sharpness: worst-case (SAM/ASAM, m-sharpness), "
                                 "average-case and random-direction "
                                 "profiles over rho, PAC-Bayes flatness, lambda_max, trace, "
                                 "Fisher-Rao norm, relative flatness, "
                                 "weight norms and the generalisation gap");
  auto o =
      std::make_shared<SettingOptions<app::SharpnessJobSettings>>(cmd, app::sharpnessSettings());
  return {
      cmd, [o, &global] {
        const auto settings = o->values();
        TerminalJob terminal;
        if (!settings.runs.empty()) {
          auto table = app::runGeneralizationJob(settings, terminal.control());
          terminal.finish();
          if (global.json) {
            auto doc = tableJson(table.table);
            doc["data"] = settings.input.data;
            doc["test_data"] = settings.testData;
            doc["sharpness_analyses"] = table.sharpnessPaths;
            doc["analysis"] = table.analysisPath.empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(table.analysisPath);
            doc["seconds"] = table.seconds;
            return printJson(doc);
          }
          printTable(table.table);
          std::printf("total      %.1f s\n", table.seconds);
          if (!table.analysisPath.empty())
            std::printf("saved      %s:%s\n", settings.projectPath.c_str(),
                        table.analysisPath.c_str());
          return;
        }
        auto out = app::runSharpnessAnalysisJob(settings, terminal.control());
        terminal.finish();
        if (global.json) {
          auto doc = reportJson(out.report);
          doc["model"] = settings.input.model;
          doc["data"] = settings.input.data;
          doc["test_data"] = settings.testData.empty() ? nlohmann::json(nullptr)
                                                       : nlohmann::json(settings.testData);
          doc["device"] = out.device;
          doc["seconds"] = out.seconds;
          doc["project"] = out.analysisPath.empty() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(settings.projectPath);
          doc["analysis"] =
              out.analysisPath.empty() ? nlohmann::json(nullptr) : nlohmann::json(out.analysisPath);
          return printJson(doc);
        }
        std::printf("model      %s\ndata       %s\n", settings.input.model.c_str(),
                    settings.input.data.c_str());
        printReport(out.report);
        std::printf("total      %.1f s\n", out.seconds);
        if (!out.analysisPath.empty())
          std::printf("saved      %s:%s\n", settings.projectPath.c_str(), out.analysisPath.c_str());
      }};
}

}  // namespace flatland::cli
