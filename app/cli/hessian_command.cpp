// flatland-cli hessian: top/bottom eigenvalues, trace, spectral density, per-class spectra and the
// mini-batch λ_max sweep of the loss Hessian, stored in the project file.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli_context.h"
#include "flatland/analysis/hessian_analysis.h"
#include "flatland/errors.h"
#include "job_setup.h"
#include "terminal_progress.h"

namespace flatland::cli {

namespace {

struct HessianCliOptions {
  JobOptions job;
  int64_t topK = 1;
  int64_t bottomK = 0;
  double tol = 1e-3;
  bool trace = false;
  int64_t traceSamples = 100;
  double traceRelStderr = 0.01;
  bool density = false;
  int64_t densitySteps = 100;
  int64_t densityVectors = 1;
  int64_t gridPoints = 10000;
  bool perClass = false;
  std::string batchSweep;
  int64_t sweepRepeats = 5;
  int64_t maxCached = 5000;
  std::string curvature = "hessian";
  bool hutchpp = false;
  std::string out = "hessian.h5";
  std::string name;
};

std::vector<int64_t> parseSizes(const std::string& text) {
  std::vector<int64_t> sizes;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item.empty()) continue;
    try {
      size_t used = 0;
      const long long value = std::stoll(item, &used);
      if (used != item.size() || value < 1) throw std::invalid_argument(item);
      sizes.push_back(value);
    } catch (const std::exception&) {
      throw InvalidArgument("--batch-sweep takes positive batch sizes separated by commas "
                            "(16,64,256), got '" + text + "'");
    }
  }
  return sizes;
}

nlohmann::json finiteOrNull(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

nlohmann::json numbers(const std::vector<double>& values) {
  auto out = nlohmann::json::array();
  for (double v : values) out.push_back(finiteOrNull(v));
  return out;
}

nlohmann::json spectrumJson(const analysis::SpectrumReport& r) {
  nlohmann::json doc;
  doc["samples"] = r.samples;
  doc["loss"] = finiteOrNull(r.loss);
  doc["top_eigenvalues"] = numbers(r.top.values);
  doc["bottom_eigenvalues"] = numbers(r.bottom.values);
  doc["top_converged"] = r.top.products > 0 ? nlohmann::json(r.top.converged) : nlohmann::json(nullptr);
  doc["bottom_converged"] = r.bottom.products > 0 ? nlohmann::json(r.bottom.converged) : nlohmann::json(nullptr);
  if (r.hasTrace)
    doc["trace"] = {{"mean", r.trace.mean}, {"stderr", r.trace.standardError}, {"samples", r.trace.samples}};
  else
    doc["trace"] = nullptr;
  if (r.hasDensity) {
    auto nodes = nlohmann::json::array(), weights = nlohmann::json::array();
    for (const auto& row : r.density.nodes) nodes.push_back(numbers(row));
    for (const auto& row : r.density.weights) weights.push_back(numbers(row));
    doc["density"] = {{"nodes", nodes}, {"weights", weights}, {"grid", numbers(r.density.grid)},
                      {"values", numbers(r.density.values)}, {"sigma2", r.density.sigma2}};
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
  std::printf("%sHVPs                %lld in %.2f s\n", indent, static_cast<long long>(r.hvpCount), r.seconds);
}

}  // namespace

Command addHessianCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "hessian", "eigenvalues, trace, spectral density and per-class spectra of the loss Hessian");
  auto o = std::make_shared<HessianCliOptions>();
  o->job.samples = 1000;
  o->job.batchSize = 1000;
  o->job.addTo(cmd);
  cmd->add_option("--top-k", o->topK, "largest eigenvalues to compute (0: none)")->capture_default_str();
  cmd->add_option("--bottom-k", o->bottomK, "smallest eigenvalues to compute (0: none)")->capture_default_str();
  cmd->add_option("--tol", o->tol, "Lanczos tolerance on the relative residual")->capture_default_str();
  cmd->add_flag("--trace", o->trace, "estimate the trace (Hutchinson)");
  cmd->add_option("--trace-samples", o->traceSamples, "most Hutchinson samples")->capture_default_str();
  cmd->add_option("--trace-rel-stderr", o->traceRelStderr,
                  "stop the trace once its standard error is this fraction of |trace|")->capture_default_str();
  cmd->add_flag("--hutchpp", o->hutchpp, "Hutch++ instead of Hutchinson: spends all --trace-samples, lower variance");
  cmd->add_option("--curvature", o->curvature, "hessian, or ggn (generalised Gauss-Newton)")
      ->check(CLI::IsMember({"hessian", "ggn"}))->capture_default_str();
  cmd->add_flag("--density", o->density, "spectral density by stochastic Lanczos quadrature");
  cmd->add_option("--density-steps", o->densitySteps, "Lanczos steps per SLQ vector")->capture_default_str();
  cmd->add_option("--density-vectors", o->densityVectors, "SLQ start vectors")->capture_default_str();
  cmd->add_option("--grid-points", o->gridPoints, "points of the smoothed density")->capture_default_str();
  cmd->add_flag("--per-class", o->perClass, "the same analyses for the loss over each class");
  cmd->add_option("--batch-sweep", o->batchSweep, "λ_max of random mini-batches of these sizes (16,64,256)");
  cmd->add_option("--sweep-repeats", o->sweepRepeats, "random batches per size")->capture_default_str();
  cmd->add_option("--max-cached", o->maxCached,
                  "keep the first-order graph in memory up to this many samples, else stream batches")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "project file to store the results in ('' : do not store)")->capture_default_str();
  cmd->add_option("--name", o->name, "analysis name (default: hessian-<time>)");
  return {cmd, [o, &global] {
            const auto start = std::chrono::steady_clock::now();
            analysis::HessianSettings s;
            s.topK = o->topK;
            s.bottomK = o->bottomK;
            s.eigen.tol = o->tol;
            s.trace = o->trace;
            s.traceOptions.maxSamples = o->traceSamples;
            s.traceOptions.targetRelStderr = o->traceRelStderr;
            s.density = o->density;
            s.densityOptions.steps = o->densitySteps;
            s.densityOptions.vectors = o->densityVectors;
            s.densityOptions.gridPoints = o->gridPoints;
            s.perClass = o->perClass;
            s.batchSweep = parseSizes(o->batchSweep);
            s.sweepRepeats = o->sweepRepeats;
            s.hessian.batchSize = o->job.batchSize;
            s.hessian.maxCachedSamples = o->maxCached;
            if (o->curvature == "ggn") s.hessian.curvature = analysis::HessianOptions::Curvature::GaussNewton;
            if (o->hutchpp) s.traceOptions.method = analysis::TraceOptions::Method::HutchPlusPlus;
            s.seed = o->job.seed;
            // Under mpirun the density's start vectors are shared out; the rest runs on rank 0.
            s.densityOptions.workers = global.workers;

            auto job = loadJob(o->job);
            analysis::validateHessianSettings(s, *job.model, job.data);
            if (global.workers && !global.workers->isRoot()) {
              analysis::runHessianAnalysis(*job.model, job.data, s);
              return;
            }
            if (global.workers && !global.workers->alone() && !s.density)
              std::fprintf(stderr, "note: under mpirun only --density is shared out; the other "
                                   "ranks have nothing to do\n");

            nlohmann::json settings = {
                {"top_k", s.topK}, {"bottom_k", s.bottomK}, {"tol", s.eigen.tol},
                {"ncv", s.eigen.ncv}, {"max_restarts", s.eigen.maxRestarts},
                {"trace", s.trace}, {"trace_samples", o->traceSamples},
                {"trace_min_samples", s.traceOptions.minSamples},
                {"trace_rel_stderr", o->traceRelStderr}, {"density", s.density},
                {"density_steps", o->densitySteps}, {"density_vectors", o->densityVectors},
                {"grid_points", o->gridPoints}, {"sigma_squared", s.densityOptions.sigmaSquared},
                {"per_class", s.perClass}, {"batch_sweep", s.batchSweep},
                {"sweep_repeats", s.sweepRepeats}, {"batch_size", s.hessian.batchSize},
                {"max_cached", s.hessian.maxCachedSamples}, {"loss", "cross_entropy"},
                {"curvature", o->curvature}, {"trace_method", o->hutchpp ? "hutch++" : "hutchinson"},
                {"mode", "eval"}, {"seed", s.seed}, {"samples", o->job.samples},
                {"dtype", job.model->dtype() == c10::kDouble ? "float64" : "float32"},
                {"ranks", global.workers ? global.workers->size() : 1}};
            analysis::Provenance provenance;
            provenance.kind = "hessian";
            provenance.model = o->job.model;
            provenance.data = o->job.data;
            provenance.samples = o->job.samples > 0 ? o->job.samples : -1;
            provenance.seed = o->job.seed;
            provenance.device = job.device.str();
            provenance.settingsJson = settings.dump();

            std::optional<training::ProjectFile> project;
            std::string path;
            if (!o->out.empty()) {
              project = training::ProjectFile::openOrCreate(o->out);
              path = analysis::newAnalysisPath(*project, "hessian", o->name);
              auto attributes = provenance.toAttributes();
              attributes["complete"] = int64_t(0);
              project->setAttributes(path, attributes);  // visible as incomplete while it runs
            }

            TerminalJob terminal;
            auto report = analysis::runHessianAnalysis(*job.model, job.data, s, terminal.control());
            terminal.finish();
            if (project) project->put(path, analysis::hessianNode(report, provenance));
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

            if (global.json) {
              nlohmann::json doc = spectrumJson(report.full);
              doc["model"] = o->job.model;
              doc["data"] = o->job.data;
              doc["parameters"] = report.parameters;
              doc["curvature"] = report.curvature;
              doc["device"] = job.device.str();
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
                for (const auto& row : report.sweep.lambdaMax) samples.push_back(numbers(row));
                doc["batch_sweep"] = {{"batch_sizes", report.sweep.batchSizes},
                                      {"lambda_max_mean", numbers(report.sweep.mean)},
                                      {"lambda_max_std", numbers(report.sweep.std)},
                                      {"lambda_max_samples", samples},
                                      {"lambda_max_full", finiteOrNull(report.sweep.lambdaMaxFull)}};
              } else {
                doc["batch_sweep"] = nullptr;
              }
              doc["hvp_count"] = report.hvpCount;
              doc["seconds"] = seconds;
              doc["analysis_seconds"] = report.seconds;
              doc["project"] = o->out.empty() ? nlohmann::json(nullptr) : nlohmann::json(o->out);
              doc["analysis"] = path.empty() ? nlohmann::json(nullptr) : nlohmann::json(path);
              return printJson(doc);
            }
            std::printf("model      %s (%lld parameters)\n", o->job.model.c_str(),
                        static_cast<long long>(report.parameters));
            std::printf("data       %s (%lld samples), loss %.6f\n", o->job.data.c_str(),
                        static_cast<long long>(report.full.samples), report.full.loss);
            printSpectrum("", report.full);
            for (const auto& c : report.perClass) {
              std::printf("class %lld %s (%lld samples, loss %.4f)\n", static_cast<long long>(c.classIndex),
                          c.className.c_str(), static_cast<long long>(c.count), c.spectrum.loss);
              printSpectrum("  ", c.spectrum);
            }
            if (!report.sweep.batchSizes.empty()) {
              std::printf("mini-batch lambda_max (full data %.6g)\n", report.sweep.lambdaMaxFull);
              for (size_t i = 0; i < report.sweep.batchSizes.size(); ++i)
                std::printf("  B = %-6lld %.6g ± %.3g\n", static_cast<long long>(report.sweep.batchSizes[i]),
                            report.sweep.mean[i], report.sweep.std[i]);
            }
            std::printf("total      %lld HVPs, %.1f s\n", static_cast<long long>(report.hvpCount), seconds);
            if (project) std::printf("saved      %s:%s\n", o->out.c_str(), path.c_str());
          }};
}

}  // namespace flatland::cli
