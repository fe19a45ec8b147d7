// flatland-cli connect: the straight line and a trained curve between two models (mode
// connectivity, Garipov et al. 2018), stored as kind = "connectivity".
#include <cstdio>

#include "cli_context.h"
#include "connect_job.h"
#include "job_settings.h"
#include "setting_options.h"
#include "terminal_progress.h"

namespace flatland::cli {

Command addConnectCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "connect",
      "mode connectivity: the loss along the straight line between two models and along a "
      "trained Bezier or polygonal curve, with each path's barrier");
  auto o = std::make_shared<SettingOptions<app::ConnectJobSettings>>(cmd, app::connectSettings());
  return {cmd, [o, &global] {
            const auto settings = o->values();
            TerminalJob terminal;
            const auto r = app::runConnectJob(settings, terminal.control());
            terminal.finish();
            if (global.json)
              return printJson({{"from", settings.input.model},
                                {"to", settings.to},
                                {"curve", analysis::toString(settings.curve)},
                                {"t", r.t},
                                {"linear_loss", finiteOrNull(r.linearLoss)},
                                {"curve_loss", finiteOrNull(r.curveLoss)},
                                {"linear_barrier", finiteOrNull(r.linearBarrier)},
                                {"curve_barrier", finiteOrNull(r.curveBarrier)},
                                {"training_loss", finiteOrNull(r.trainingLoss)},
                                {"samples", r.samples},
                                {"seconds", r.seconds},
                                {"project", settings.projectPath},
                                {"analysis", r.analysisPath}});
            std::printf("from       %s\nto         %s\n", settings.input.model.c_str(),
                        settings.to.c_str());
            std::printf("%8s %12s %12s\n", "t", "linear",
                        analysis::toString(settings.curve).c_str());
            for (size_t i = 0; i < r.t.size(); ++i)
              std::printf("%8.3f %12.5f %12.5f\n", r.t[i], r.linearLoss[i], r.curveLoss[i]);
            std::printf(
                "barrier    linear %.5f, %s %.5f (train loss: the path's largest minus the "
                "endpoints' mean)\n",
                r.linearBarrier, analysis::toString(settings.curve).c_str(), r.curveBarrier);
            std::printf("total      %.1f s\nsaved      %s:%s\n", r.seconds,
                        settings.projectPath.c_str(), r.analysisPath.c_str());
          }};
}

}  // namespace flatland::cli
