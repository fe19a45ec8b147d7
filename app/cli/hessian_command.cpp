// flatland-cli hessian: top/bottom eigenvalues, trace, spectral density, per-class spectra and the
// mini-batch λ_max sweep of the loss Hessian, stored in the project file.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli_context.h"
#include "flatland/errors.h"
#include "hessian_job.h"
#include "job_settings.h"
#include "setting_options.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

nlohmann::json spectrumJson(const analysis::SpectrumReport& r) {
  nlohmann::json doc;
  doc["samples"] = r.samples;
  doc["loss"] = finiteOrNull(r.loss);
  doc["top_eigenvalues"] = finiteOrNull(r.top.values);
  doc["bottom_eigenvalues"] = finiteOrNull(r.bottom.values);
  doc["top_converged"] =
      r.top.products > 0 ? nlohmann::json(r.top.converged) : nlohmann::json(nullptr);
  doc["bottom_converged"] =
      r.bottom.products > 0 ? nlohmann::json(r.bottom.converged) : nlohmann::json(nullptr);
  if (r.hasTrace)
    doc["trace"] = {
        {"mean", r.trace.mean}, {"stderr", r.trace.standardError}, {"samples", r.trace.samples}};
  else
    doc["trace"] = nullptr;
  if (r.hasDensity) {
    auto nodes = nlohmann::json::array(), weights = nlohmann::json::array();
    for (const auto& row : r.density.nodes) nodes.push_back(finiteOrNull(row));
    for (const auto& row : r.density.weights) weights.push_back(finiteOrNull(row));
    doc["density"] = {{"nodes", nodes},
                      {"weights", weights},
                      {"grid", finiteOrNull(r.density.grid)},
                      {"values", finiteOrNull(r.density.values)},
                      {"sigma2", r.density.kernelVariance}};
  } else {
    doc["density"] = nullptr;
  }
  doc["hvp_count"] = r.hvpCount;
  doc["seconds"] = r.seconds;
  return doc;
}

void printSpectrum(const char* indent, const analysis::SpectrumReport& r) {
  auto list = [](const std::vector<double>& v) {
    std::string s;
    char buffer[32];
    for (double x : v) {
      std::snprintf(buffer, sizeof buffer, "%s%.6g", s.empty() ? "" : " ", x);
      s += buffer;
    }
    return s;
  };
  if (!r.top.values.empty() || r.top.products)
    std::printf("%stop eigenvalues     %s%s\n", indent, list(r.top.values).c_str(),
                r.top.converged ? "" : "  (not converged)");
  if (!r.bottom.values.empty() || r.bottom.products)
    std::printf("%sbottom eigenvalues  %s%s\n", indent, list(r.bottom.values).c_str(),
                r.bottom.converged ? "" : "  (not converged)");
  if (r.hasTrace)
    std::printf("%strace               %.6g ± %.2g (%lld samples)\n", indent, r.trace.mean,
                r.trace.standardError, static_cast<long long>(r.trace.samples));
  if (r.hasDensity) {
    size_t nodes = 0;
    for (const auto& row : r.density.nodes) nodes += row.size();
    std::printf("%sdensity             %zu nodes over [%.4g, %.4g]\n", indent, nodes,
                r.density.grid.front(), r.density.grid.back());
  }
  std::printf("%sHVPs                %lld in %.2f s\n", indent, static_cast<long long>(r.hvpCount),
              r.seconds);
}

}  // namespace

Command addHessianCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "hessian", "eigenvalues, trace, spectral density and per-class spectra of the loss Hessian");
  auto o = std::make_shared<SettingOptions<app::HessianJobSettings>>(cmd, app::hessianSettings());
  return {cmd, [o, &global] {
            const auto settings = o->values();
            const bool root = !global.workers || global.workers->isRoot();
            if (root && global.workers && !global.workers->alone() && !settings.density)
              std::fprintf(stderr,
                           "note: under mpirun only --density is shared out; the other "
                           "ranks have nothing to do\n");
            TerminalJob terminal;
            auto out = app::runHessianAnalysisJob(settings, terminal.control(), global.workers);
            terminal.finish();
            if (!root) return;
            const auto& report = out.report;
            const std::string& path = out.analysisPath;

            if (global.json) {
              nlohmann::json doc = spectrumJson(report.full);
              doc["model"] = settings.input.model;
              doc["data"] = settings.input.data;
              doc["parameters"] = report.parameters;
              doc["curvature"] = report.curvature;
              doc["device"] = out.device;
              doc["per_class"] = nlohmann::json::array();
              for (const auto& c : report.perClass) {
                auto entry = spectrumJson(c.spectrum);
                entry["class"] = c.classIndex;
                entry["name"] = c.className;
                entry["count"] = c.count;
                doc["per_class"].push_back(entry);
              }
              if (!report.sweep.batchSizes.empty()) {
                auto samples = nlohmann::json::array();
                for (const auto& row : report.sweep.lambdaMax) samples.push_back(finiteOrNull(row));
                doc["batch_sweep"] = {
                    {"batch_sizes", report.sweep.batchSizes},
                    {"lambda_max_mean", finiteOrNull(report.sweep.mean)},
                    {"lambda_max_std", finiteOrNull(report.sweep.std)},
                    {"lambda_max_samples", samples},
                    {"lambda_max_full", finiteOrNull(report.sweep.lambdaMaxFull)}};
              } else {
                doc["batch_sweep"] = nullptr;
              }
              doc["hvp_count"] = report.hvpCount;
              doc["seconds"] = out.seconds;
              doc["analysis_seconds"] = report.seconds;
              doc["project"] =
                  path.empty() ? nlohmann::json(nullptr) : nlohmann::json(settings.projectPath);
              doc["analysis"] = path.empty() ? nlohmann::json(nullptr) : nlohmann::json(path);
              return printJson(doc);
            }
            std::printf("model      %s (%lld parameters)\n", settings.input.model.c_str(),
                        static_cast<long long>(report.parameters));
            std::printf("data       %s (%lld samples), loss %.6f\n", settings.input.data.c_str(),
                        static_cast<long long>(report.full.samples), report.full.loss);
            printSpectrum("", report.full);
            for (const auto& c : report.perClass) {
              std::printf("class %lld %s (%lld samples, loss %.4f)\n",
                          static_cast<long long>(c.classIndex), c.className.c_str(),
                          static_cast<long long>(c.count), c.spectrum.loss);
              printSpectrum("  ", c.spectrum);
            }
            if (!report.sweep.batchSizes.empty()) {
              std::printf("mini-batch lambda_max (full data %.6g)\n", report.sweep.lambdaMaxFull);
              for (size_t i = 0; i < report.sweep.batchSizes.size(); ++i)
                std::printf("  B = %-6lld %.6g ± %.3g\n",
                            static_cast<long long>(report.sweep.batchSizes[i]),
                            report.sweep.mean[i], report.sweep.std[i]);
            }
            std::printf("total      %lld HVPs, %.1f s\n", static_cast<long long>(report.hvpCount),
                        out.seconds);
            if (!path.empty())
              std::printf("saved      %s:%s\n", settings.projectPath.c_str(), path.c_str());
          }};
}

}  // namespace flatland::cli
