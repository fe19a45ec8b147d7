// flatland-cli: the headless front end over the same libraries as the GUI.
#include <ATen/Parallel.h>

#include <iostream>

#include "cli_context.h"
#include "flatland/errors.h"
#include "flatland/version.h"

int main(int argc, char** argv) {
  using namespace flatland::cli;
  CLI::App app{"Flatland: Hessian spectra, loss surfaces and sharpness-aware training.\n"
               "Every subcommand takes --json to print one machine-readable JSON object on stdout."};
  app.set_version_flag("--version", std::string("flatland-cli ") + FLATLAND_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  app.add_flag("--json", global.json, "print results as one JSON object on stdout");
  app.add_option("--threads", global.threads, "LibTorch intra-op threads (0: its default)")
      ->check(CLI::NonNegativeNumber);

  const std::vector<Command> commands = {
      addInfoCommand(app, global),
      addEvalCommand(app, global),
#ifdef FLATLAND_HAVE_RENDER
      addRenderCommand(app, global),
#endif
      addTrainCommand(app, global),
      addQuantizeCommand(app, global),
      addSurfaceCommand(app, global),
      addExportCommand(app, global),
      addHessianCommand(app, global),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (global.threads > 0) at::set_num_threads(global.threads);
  try {
    for (const auto& command : commands)
      if (command.parsed->parsed()) command.run();
  } catch (const flatland::Cancelled& e) {
    std::cerr << "flatland-cli: " << e.what() << "\n";
    return 130;
  } catch (const flatland::Error& e) {
    std::cerr << "flatland-cli: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "flatland-cli: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
