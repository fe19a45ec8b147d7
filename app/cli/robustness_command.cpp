// flatland-cli robustness: robust accuracy against FGSM/PGD, input-space curvature, noise
// corruptions and the input-space surface around a sample, stored in the project file.
#include <cmath>
#include <cstdio>

#include "cli_context.h"
#include "flatland/errors.h"
#include "job_settings.h"
#include "robustness_job.h"
#include "setting_options.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

nlohmann::json summaryJson(const analysis::CurvatureSummary& s) {
  return {{"mean", finiteOrNull(s.mean)},
          {"median", finiteOrNull(s.median)},
          {"per_class_mean", finiteOrNull(s.perClassMean)},
          {"correct_mean", finiteOrNull(s.correctMean)},
          {"wrong_mean", finiteOrNull(s.wrongMean)},
          {"correct", s.correct},
          {"wrong", s.wrong}};
}

nlohmann::json reportJson(const analysis::RobustnessReport& r) {
  nlohmann::json doc;
  doc["clean_accuracy"] = r.robust.cleanAccuracy;
  doc["clean_loss"] = r.robust.cleanLoss;
  doc["clean_per_class_accuracy"] = finiteOrNull(r.robust.cleanPerClassAccuracy);
  doc["samples"] = r.robust.samples;
  doc["units"] = r.units;
  doc["clamped"] = r.clamped;
  doc["attacks"] = nlohmann::json::array();
  for (const auto& a : r.robust.attacks)
    doc["attacks"].push_back({{"attack", analysis::attackName(a.kind)},
                              {"norm", analysis::attackNorm(a.kind)},
                              {"eps", a.eps},
                              {"accuracy", a.accuracy},
                              {"loss", finiteOrNull(a.loss)},
                              {"per_class_accuracy", finiteOrNull(a.perClassAccuracy)}});
  if (r.curvature) {
    const auto& c = *r.curvature;
    doc["input_curvature"] = {
        {"lambda_max", finiteOrNull(c.lambdaMax)},
        {"cure", finiteOrNull(c.cure)},
        {"cure_step", c.cureStep},
        {"labels", c.labels},
        {"predictions", c.predictions},
        {"lanczos_steps", c.steps},
        {"converged", c.converged},
        {"hvp_count", c.products},
        {"lambda_max_summary", summaryJson(analysis::summarize(c.lambdaMax, c, r.numClasses))},
        {"cure_summary", summaryJson(analysis::summarize(c.cure, c, r.numClasses))}};
  } else {
    doc["input_curvature"] = nullptr;
  }
  if (r.corruptions) {
    auto list = nlohmann::json::array();
    for (size_t k = 0; k < r.corruptions->names.size(); ++k)
      list.push_back({{"corruption", r.corruptions->names[k]},
                      {"accuracy", finiteOrNull(r.corruptions->accuracy[k])},
                      {"loss", finiteOrNull(r.corruptions->loss[k])}});
    doc["corruptions"] = {{"results", list}, {"mean_accuracy", r.corruptions->meanAccuracy}};
  } else {
    doc["corruptions"] = nullptr;
  }
  if (r.surface)
    doc["input_surface"] = {{"sample", r.surface->sample},
                            {"label", r.surface->label},
                            {"axis", finiteOrNull(r.surface->axis)},
                            {"loss", finiteOrNull(r.surface->loss)}};
  else
    doc["input_surface"] = nullptr;
  doc["analysis_seconds"] = r.seconds;
  return doc;
}

void printReport(const analysis::RobustnessReport& r) {
  std::printf("clean      accuracy %.4f, loss %.4f (%lld samples)\n", r.robust.cleanAccuracy,
              r.robust.cleanLoss, static_cast<long long>(r.robust.samples));
  if (!r.robust.attacks.empty()) {
    std::printf("%-8s %-5s %-10s %-10s %-10s   (eps in %s units%s)\n", "attack", "norm", "eps",
                "accuracy", "loss", r.units.c_str(), r.clamped ? ", clamped to valid pixels" : "");
    for (const auto& a : r.robust.attacks)
      std::printf("%-8s %-5s %-10.4g %-10.4f %-10.4f\n", analysis::attackName(a.kind).c_str(),
                  analysis::attackNorm(a.kind).c_str(), a.eps, a.accuracy, a.loss);
  }
  if (r.curvature) {
    const auto& c = *r.curvature;
    const auto lambda = analysis::summarize(c.lambdaMax, c, r.numClasses);
    const auto cure = analysis::summarize(c.cure, c, r.numClasses);
    int64_t converged = 0;
    for (auto v : c.converged) converged += v;
    std::printf("input curvature over %zu samples (%lld converged, %lld batched HVPs)\n",
                c.lambdaMax.size(), static_cast<long long>(converged),
                static_cast<long long>(c.products));
    std::printf("  lambda_max  mean %.4g  median %.4g  correct %.4g (%lld)  wrong %.4g (%lld)\n",
                lambda.mean, lambda.median, lambda.correctMean,
                static_cast<long long>(lambda.correct), lambda.wrongMean,
                static_cast<long long>(lambda.wrong));
    std::printf("  CURE (h=%g)  mean %.4g  median %.4g  correct %.4g  wrong %.4g\n", c.cureStep,
                cure.mean, cure.median, cure.correctMean, cure.wrongMean);
    for (size_t k = 0; k < lambda.perClassMean.size(); ++k)
      std::printf("  class %-2zu %-14s lambda_max %-10.4g CURE %-10.4g\n", k,
                  k < r.classNames.size() ? r.classNames[k].c_str() : "", lambda.perClassMean[k],
                  cure.perClassMean[k]);
  }
  if (r.corruptions) {
    std::printf("%-16s %s\n", "corruption", "accuracy at severity 1 … 5");
    for (size_t k = 0; k < r.corruptions->names.size(); ++k) {
      std::printf("%-16s", r.corruptions->names[k].c_str());
      for (double a : r.corruptions->accuracy[k]) std::printf(" %.4f", a);
      std::printf("\n");
    }
    std::printf("mean corruption accuracy %.4f\n", r.corruptions->meanAccuracy);
  }
  if (r.surface) {
    double lo = r.surface->loss.front(), hi = lo;
    for (double v : r.surface->loss) lo = std::min(lo, v), hi = std::max(hi, v);
    std::printf(
        "input surface around sample %lld (label %lld): %zu x %zu points over [%.3g, %.3g], loss "
        "%.4g to %.4g\n",
        static_cast<long long>(r.surface->sample), static_cast<long long>(r.surface->label),
        r.surface->axis.size(), r.surface->axis.size(), r.surface->axis.front(),
        r.surface->axis.back(), lo, hi);
  }
}

}  // namespace

Command addRobustnessCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("robustness",
                                 "robust accuracy against FGSM/PGD, input-space curvature, noise "
                                 "corruptions and input surfaces");
  auto o =
      std::make_shared<SettingOptions<app::RobustnessJobSettings>>(cmd, app::robustnessSettings());
  return {
      cmd, [o, &global] {
        const auto settings = o->values();
        TerminalJob terminal;
        auto out = app::runRobustnessAnalysisJob(settings, terminal.control());
        terminal.finish();
        if (global.json) {
          auto doc = reportJson(out.report);
          doc["model"] = settings.input.model;
          doc["data"] = settings.input.data;
          doc["device"] = out.device;
          doc["seconds"] = out.seconds;
          doc["project"] = out.analysisPath.empty() ? nlohmann::json(nullptr)
                                                    : nlohmann::json(settings.projectPath);
          doc["analysis"] =
              out.analysisPath.empty() ? nlohmann::json(nullptr) : nlohmann::json(out.analysisPath);
          return printJson(doc);
        }
        std::printf("model      %s\ndata       %s on %s\n", settings.input.model.c_str(),
                    settings.input.data.c_str(), out.device.c_str());
        printReport(out.report);
        std::printf("total      %.1f s\n", out.seconds);
        if (!out.analysisPath.empty())
          std::printf("saved      %s:%s\n", settings.projectPath.c_str(), out.analysisPath.c_str());
      }};
}

}  // namespace flatland::cli
