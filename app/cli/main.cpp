// flatland-cli: the headless front end over the same libraries as the GUI.
#include <ATen/Parallel.h>

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <new>
#include <string>
#include <thread>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/training/device.h"
#include "flatland/training/host_memory.h"
#include "flatland/version.h"
#include "setting_options.h"

namespace {

// Under mpirun every rank runs this program; only surface and hessian know how to share work.
bool sharesWork(const std::string& command) { return command == "surface" || command == "hessian"; }

}  // namespace

int main(int argc, char** argv) {
  using namespace flatland::cli;
  flatland::training::keepFreedHostMemory();  // before any thread starts
  std::unique_ptr<flatland::analysis::WorkerGroup> workers;
  try {
    workers = flatland::analysis::joinLaunchedGroup(argc, argv);
  } catch (const flatland::Error& e) {
    std::cerr << "flatland-cli: error: " << e.what() << "\n";
    return 1;
  }
  CLI::App app{
      "Flatland: Hessian spectra, loss surfaces and sharpness-aware training.\n"
      "Every subcommand takes --json to print one machine-readable JSON object on stdout."};
  app.set_version_flag("--version", [] {
    return std::string("flatland-cli ") + FLATLAND_VERSION + "\n" +
           flatland::training::describeLibTorch();
  });
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  global.workers = workers.get();
  app.add_flag("--json", global.json, "print results as one JSON object on stdout");
  // More threads than this only wait on each other (1000 made a 100-sample eval take 30 s).
  const int maxThreads = 4 * int(std::max(1u, std::thread::hardware_concurrency()));
  const std::string threadRange = "0 to " + std::to_string(maxThreads) + " (4 per hardware thread)";
  app.add_option("--threads", global.threads,
                 "LibTorch intra-op threads (0: its default) [" + threadRange + "]")
      ->check(CLI::Validator(
          [maxThreads, threadRange](std::string& text) -> std::string {
            char* end = nullptr;
            const long value = std::strtol(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || value < 0 || value > maxThreads)
              return text + " is out of range: " + threadRange;
            return {};
          },
          ""));

  const std::vector<Command> commands = {
      addInfoCommand(app, global),      addEvalCommand(app, global),
#ifdef FLATLAND_HAVE_RENDER
      addRenderCommand(app, global),
#endif
      addTrainCommand(app, global),     addQuantizeCommand(app, global),
      addSurfaceCommand(app, global),   addExportCommand(app, global),
      addHessianCommand(app, global),   addRobustnessCommand(app, global),
      addSharpnessCommand(app, global), addRescaleCommand(app, global),
      addConnectCommand(app, global),   addImportSurfaceCommand(app, global),
      addPackCommand(app, global),      addUnpackCommand(app, global),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a misspelt subcommand as a missing one; name the word the user typed.
    if (dynamic_cast<const CLI::RequiredError*>(&e)) {
      // A misspelt option (train --modle) would otherwise be reported as a missing --out.
      if (auto unknown = unknownOption(app, argc, argv); !unknown.empty()) {
        std::cerr << "flatland-cli: error: unknown option '" << unknown << "' (see --help)\n";
        return e.get_exit_code();
      }
      for (int i = 1; i < argc; ++i) {
        const std::string word = argv[i];
        if (word == "--threads") ++i;
        if (word.empty() || word[0] == '-') continue;
        std::string known;
        bool isCommand = false;
        for (const auto& command : commands) {
          known += (known.empty() ? "" : ", ") + command.parsed->get_name();
          isCommand |= command.parsed->get_name() == word;
        }
        if (isCommand) break;  // a real subcommand missing a required option: CLI11's message
        std::cerr << "flatland-cli: error: unknown subcommand '" << word << "' (one of: " << known
                  << "; see --help)\n";
        return e.get_exit_code();
      }
    }
    return app.exit(e);
  }
  if (global.threads > 0) at::set_num_threads(global.threads);
  // Messages from ranks other than 0 say which rank they come from.
  const std::string prefix = workers->alone()
                                 ? "flatland-cli"
                                 : "flatland-cli[rank " + std::to_string(workers->rank()) + "]";
  // A rank that fails must not leave the others waiting for it: end them all (the root commits
  // before it throws, so what was saved stays saved). A cancelled helper has already sent the
  // root its last points and may finish normally.
  auto fail = [&](int code, bool cancelled) {
    if (!workers->alone() && !(cancelled && !workers->isRoot())) workers->abort(code);
    return code;
  };
  for (const auto& command : commands) {
    if (command.parsed->parsed() && !workers->alone() && !sharesWork(command.parsed->get_name())) {
      if (workers->isRoot())
        std::cerr << "flatland-cli: error: under mpirun only 'surface' and 'hessian' share work "
                     "between ranks; run '"
                  << command.parsed->get_name() << "' as one process\n";
      return 1;
    }
  }
  try {
    for (const auto& command : commands)
      if (command.parsed->parsed()) command.run();
  } catch (const flatland::Cancelled& e) {
    std::cerr << prefix << ": " << e.what() << "\n";
    return fail(130, true);
  } catch (const flatland::Error& e) {
    std::cerr << prefix << ": error: " << e.what() << "\n";
    return fail(1, false);
  } catch (const c10::Error& e) {
    // LibTorch's messages end in a C++ backtrace: one line of reason is what a user can act on.
    std::string reason = e.what_without_backtrace();
    reason = reason.substr(0, reason.find('\n'));
    std::cerr << prefix << ": error: LibTorch error: " << reason << "\n";
    return fail(2, false);
  } catch (const std::bad_alloc&) {
    std::cerr << prefix
              << ": error: out of memory (use fewer --samples or a smaller --batch-size)\n";
    return fail(1, false);
  } catch (const std::exception& e) {
    std::cerr << prefix << ": internal error: " << e.what() << "\n";
    return fail(2, false);
  }
  return 0;
}
