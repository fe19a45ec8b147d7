// Options and helpers shared by the subcommands of flatland-cli.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "flatland/analysis/worker_group.h"
#include "jobs.h"

namespace flatland::cli {

// Global flags, parsed before any subcommand runs.
struct GlobalOptions {
  bool json = false;
  int threads = 0;  // 0: LibTorch's default
  // The ranks of an mpirun launch (a group of one otherwise); surface and hessian share work.
  analysis::WorkerGroup* workers = nullptr;
};

// The model/data/device options most jobs take, with their command-line flags.
struct JobOptions : app::ModelDataSettings {
  void addTo(CLI::App* command, bool withBatchSize = true);
};

// Prints a JSON document on stdout (one line, so scripts can parse it), or nothing.
void printJson(const nlohmann::json& document);

// A number for the JSON output; NaN and inf (no value) become null, which JSON can hold.
nlohmann::json finiteOrNull(double x);
nlohmann::json finiteOrNull(const std::vector<double>& values);

// A subcommand and what it does once the whole command line is parsed.
struct Command {
  CLI::App* parsed = nullptr;
  std::function<void()> run;
};

// Registration functions, one per subcommand (each in its own file).
Command addInfoCommand(CLI::App& app, const GlobalOptions& global);
Command addEvalCommand(CLI::App& app, const GlobalOptions& global);
#ifdef FLATLAND_HAVE_RENDER
Command addRenderCommand(CLI::App& app, const GlobalOptions& global);
#endif
Command addTrainCommand(CLI::App& app, const GlobalOptions& global);
Command addQuantizeCommand(CLI::App& app, const GlobalOptions& global);
Command addSurfaceCommand(CLI::App& app, const GlobalOptions& global);
Command addExportCommand(CLI::App& app, const GlobalOptions& global);
Command addImportSurfaceCommand(CLI::App& app, const GlobalOptions& global);
Command addPackCommand(CLI::App& app, const GlobalOptions& global);
Command addUnpackCommand(CLI::App& app, const GlobalOptions& global);
Command addConnectCommand(CLI::App& app, const GlobalOptions& global);
Command addHessianCommand(CLI::App& app, const GlobalOptions& global);
Command addRobustnessCommand(CLI::App& app, const GlobalOptions& global);
Command addSharpnessCommand(CLI::App& app, const GlobalOptions& global);
Command addRescaleCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace flatland::cli
