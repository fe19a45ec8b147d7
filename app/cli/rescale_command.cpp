// flatland-cli rescale: the same function with a ReLU layer scaled by α and the next by 1/α
// (Dinh et al. 2017), written as a run whose checkpoint any --model loads.
#include <cstdio>

#include "cli_context.h"
#include "job_settings.h"
#include "setting_options.h"
#include "sharpness_job.h"

namespace flatland::cli {

Command addRescaleCommand(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand(
      "rescale",
      "write the same function with a ReLU layer's weights scaled by alpha and the next "
      "layer's by 1/alpha (a reparametrisation that changes lambda_max)");
  auto o = std::make_shared<SettingOptions<app::RescaleJobSettings>>(cmd, app::rescaleSettings());
  return {cmd, [o, &global] {
            const auto settings = o->values();
            const auto r = app::runRescaleJob(settings);
            if (global.json)
              return printJson(
                  {{"model", r.model},
                   {"from", settings.input.model},
                   {"layer", settings.layer},
                   {"alpha", settings.alpha},
                   {"weight", r.weight},
                   {"bias", r.bias.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.bias)},
                   {"next", r.next},
                   {"max_output_change", r.maxOutputChange}});
            std::printf("%s ×%g, %s ×1/%g: outputs changed by %.2g (relative)\nsaved      %s\n",
                        r.weight.c_str(), settings.alpha, r.next.c_str(), settings.alpha,
                        r.maxOutputChange, r.model.c_str());
          }};
}

}  // namespace flatland::cli
