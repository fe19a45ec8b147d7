// flatland-cli quantize: post-training quantization sweep, accuracy vs bit width.
#include <cstdio>

#include "cli_context.h"
#include "flatland/errors.h"
#include "job_settings.h"
#include "jobs.h"
#include "setting_options.h"
#include "terminal_progress.h"

namespace flatland::cli {

using app::QuantizeJobSettings;
using app::runQuantizeJob;

Command addQuantizeCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "quantize", "post-training quantization sweep: test accuracy at each weight bit width");
  auto options =
      std::make_shared<SettingOptions<QuantizeJobSettings>>(cmd, app::quantizeSettings());
  // --per-channel used to be accepted and ignored, which let users believe they had chosen a
  // granularity. Both are always computed, reported and stored, so the flag is gone; it stays
  // only as a hidden option that explains this instead of CLI11's bare "not expected".
  cmd->add_flag("--per-channel")->group("");
  return {
      cmd, [=, &global] {
        if (cmd->count("--per-channel") > 0)
          throw InvalidArgument(
              "--per-channel was removed: quantize always reports and stores both "
              "granularities (per_tensor and per_channel); leave the flag out");
        const QuantizeJobSettings settings = options->values();
        const auto* out = &settings.projectPath;
        TerminalJob terminal;
        auto r = runQuantizeJob(settings, terminal.control());
        terminal.finish();
        if (global.json) {
          printJson({{"model", settings.input.model},
                     {"data", settings.input.data},
                     {"bits", r.bits},
                     {"float_test_accuracy", r.floatAccuracy},
                     {"per_tensor",
                      {{"test_loss", r.perTensorLoss}, {"test_accuracy", r.perTensorAccuracy}}},
                     {"per_channel",
                      {{"test_loss", r.perChannelLoss}, {"test_accuracy", r.perChannelAccuracy}}},
                     {"hawq",
                      {{"layers", r.hawqLayers},
                       {"bits", r.hawqBits},
                       {"trace", r.hawqTraces},
                       {"parameters", r.hawqParameters},
                       {"average_bits", r.hawqAverage},
                       {"test_accuracy", r.hawqAccuracy}}},
                     {"analysis", r.analysisPath},
                     {"seconds", r.seconds}});
          return;
        }
        std::printf("float: test accuracy %.4f, loss %.4f\n", r.floatAccuracy, r.floatLoss);
        std::printf("%-5s %-18s %-18s\n", "bits", "per-tensor acc", "per-channel acc");
        for (size_t i = 0; i < r.bits.size(); ++i)
          std::printf("%-5lld %-18.4f %-18.4f\n", static_cast<long long>(r.bits[i]),
                      r.perTensorAccuracy[i], r.perChannelAccuracy[i]);
        if (!r.hawqLayers.empty()) {
          std::printf("HAWQ mixed precision, average %.2f bits: test accuracy %.4f\n",
                      r.hawqAverage, r.hawqAccuracy);
          for (size_t i = 0; i < r.hawqLayers.size(); ++i)
            std::printf("  %-24s %8lld params  trace %10.4g  %lld bits\n", r.hawqLayers[i].c_str(),
                        static_cast<long long>(r.hawqParameters[i]), r.hawqTraces[i],
                        static_cast<long long>(r.hawqBits[i]));
        }
        if (!r.analysisPath.empty())
          std::printf("saved as %s in %s\n", r.analysisPath.c_str(), out->c_str());
      }};
}

}  // namespace flatland::cli
